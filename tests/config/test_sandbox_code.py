"""The sandbox's snippets are compiled once per process and the data converter's questions are
answered without entering the sandbox (config.sandbox_code), with the same results as before."""

import builtins
import dataclasses
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import _runner

from config.binaries import temporal_test_server
from config.sandbox_code import PATCHED, ask_contexts_directly, compile_sandbox_code_once


def test_a_snippet_is_compiled_once_and_runs_with_its_globals_as_before(monkeypatch):
    assert compile_sandbox_code_once() and compile_sandbox_code_once()  # idempotent
    assert getattr(_runner._Instance._run_code, PATCHED)
    compiled = []
    real_compile = builtins.compile
    monkeypatch.setattr(builtins, "compile", lambda *args, **kw: compiled.append(args[0]) or real_compile(*args, **kw))
    instance = SimpleNamespace(globals_and_locals={}, _current_thread_id=None)
    snippet = f"__result = __given * 2  # {secrets.token_hex(4)}\n"  # new to this process
    for given in (1, 2, 3):
        _runner._Instance._run_code(instance, snippet, __given=given)
        assert instance.globals_and_locals.pop("__result") == given * 2
    assert compiled == [snippet]
    assert "__given" not in instance.globals_and_locals and instance._current_thread_id is None


@activity.defn
async def echo(text: str) -> str:
    return text


@workflow.defn(sandboxed=True)
class EchoWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(echo, text, start_to_close_timeout=timedelta(seconds=10))


@dataclass
class ContextRecorder(PayloadCodec, WithSerializationContext):
    """Records the serialization context each payload was encoded under."""

    seen: list[tuple[str, SerializationContext | None]] = field(default_factory=list)
    context: SerializationContext | None = None

    def with_context(self, context: SerializationContext) -> "ContextRecorder":
        return ContextRecorder(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen += [(payload.data.decode(), self.context) for payload in payloads]
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


async def test_payloads_keep_their_workflow_and_activity_contexts_when_asked_directly():
    """The data converter's questions are answered without entering the sandbox
    (ask_contexts_directly), with the same answers: an activity's input under the activity's
    context, the workflow's result under the workflow's."""
    assert ask_contexts_directly() and ask_contexts_directly()  # idempotent
    assert getattr(_runner._Instance.get_serialization_context, PATCHED)
    recorder = ContextRecorder()
    converter = dataclasses.replace(DataConverter.default, payload_codec=recorder)
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server(), data_converter=converter
    ) as env:
        async with Worker(env.client, task_queue="contexts", workflows=[EchoWorkflow], activities=[echo]):
            echoed = await env.client.execute_workflow(EchoWorkflow.run, "hello", id="ctx-1", task_queue="contexts")
    assert echoed == "hello"
    contexts = {data: context for data, context in recorder.seen}
    sent = contexts['"hello"']  # the last encoding of "hello": the workflow's result
    activity_inputs = [c for d, c in recorder.seen if isinstance(c, ActivitySerializationContext)]
    assert activity_inputs and all(c.activity_type == "echo" and c.workflow_id == "ctx-1" for c in activity_inputs)
    assert isinstance(sent, WorkflowSerializationContext) and sent.workflow_id == "ctx-1"
