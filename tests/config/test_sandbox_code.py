"""The sandbox's snippets are compiled once per process (config.sandbox_code), and run as before."""

import builtins
import secrets
from types import SimpleNamespace

from temporalio.worker.workflow_sandbox import _runner

from config.sandbox_code import PATCHED, compile_sandbox_code_once


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
