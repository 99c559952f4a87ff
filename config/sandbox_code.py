"""The workflow sandbox's per-call overhead, cut where it buys no safety: its own code snippets
compiled once per process instead of at every call, and the data converter's per-payload
questions answered without entering the sandbox.

The SDK's sandbox (temporalio 1.35, `workflow_sandbox._runner._Instance._run_code`) runs short
fixed snippets inside a workflow's sandbox with `exec(str)`, so Python compiles the snippet anew
each time; it does so for every activation and, through the payload converter's serialization
context, for every payload a workflow sends or receives. Under bench/wave.py that compiling was
18 % of the workflow worker's CPU (issue 14). The snippets are constant strings, so their code
objects are kept here and `exec` gets the same code it compiled before: nothing else changes.
Where a later SDK no longer has this method, nothing is patched.
"""

from collections.abc import Callable
from types import CodeType
from typing import Any

PATCHED = "__wkp_compiles_once__"


def _patch_instance(replacements: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]) -> bool:
    """Replace methods of the SDK's sandbox instance (`_runner._Instance`), each by what its
    factory builds around the original, once per process. True when all are (or already were)
    patched; False, with nothing patched, where a later SDK no longer has one of them."""
    from temporalio.worker.workflow_sandbox import _runner

    instance = getattr(_runner, "_Instance", None)
    originals = {name: getattr(instance, name, None) for name in replacements}
    if instance is None or any(original is None for original in originals.values()):
        return False
    for name, original in originals.items():
        if original is not None and not getattr(original, PATCHED, False):
            replacement = replacements[name](original)
            setattr(replacement, PATCHED, True)
            setattr(instance, name, replacement)
    return True


def compile_sandbox_code_once() -> bool:
    """Patch the sandbox to compile each snippet once; True when it is (or already was) patched."""
    return _patch_instance({"_run_code": _compiled_once})


def _compiled_once(original: Callable[..., Any]) -> Callable[..., Any]:
    compiled: dict[str, CodeType] = {}

    def run_code(self: Any, code: str, **extra_globals: Any) -> None:
        code_object = compiled.get(code)
        if code_object is None:
            code_object = compiled[code] = compile(code, "<string>", "exec")
        original(self, code_object, **extra_globals)

    return run_code


def ask_contexts_directly() -> bool:
    """Patch the sandbox to answer the data converter's per-payload questions (which workflow or
    activity a payload belongs to, and where it may be stored) by asking the workflow instance
    directly; True when it is (or already was) patched.

    The SDK asks them through a snippet run inside the sandbox, for every payload sequence a
    workflow task encodes or decodes, and each such run first installs the sandbox's restricted
    builtins and module table and then removes them again: 13 % of the workflow process under
    bench/wave.py (issue 14), more than the answers' own work. The answer is plain data built by
    the SDK's own instance from its pending commands (temporalio is passed through the sandbox),
    imports nothing and runs no workflow code, so nothing needs restricting while it is built.
    Until the instance exists in its sandbox, and where a later SDK no longer has these methods,
    the SDK's own way is kept."""
    names = ("get_serialization_context", "get_external_store_context")
    return _patch_instance({name: _asked_directly(name) for name in names})


def _asked_directly(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def around(original: Callable[..., Any]) -> Callable[..., Any]:
        def ask(self: Any, command_info: Any) -> Any:
            in_sandbox = self.globals_and_locals.get("__temporal_in_sandbox")
            if in_sandbox is None:
                return original(self, command_info)
            return getattr(in_sandbox, name)(command_info)

        return ask

    return around
