"""The workflow sandbox's own code snippets, compiled once per process instead of at every call.

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


def compile_sandbox_code_once() -> bool:
    """Patch the sandbox to compile each snippet once; True when it is (or already was) patched."""
    from temporalio.worker.workflow_sandbox import _runner

    instance = getattr(_runner, "_Instance", None)
    original: Callable[..., None] | None = getattr(instance, "_run_code", None)
    if instance is None or original is None:
        return False
    if getattr(original, PATCHED, False):
        return True
    compiled: dict[str, CodeType] = {}

    def run_code(self: Any, code: str, **extra_globals: Any) -> None:
        code_object = compiled.get(code)
        if code_object is None:
            code_object = compiled[code] = compile(code, "<string>", "exec")
        original(self, code_object, **extra_globals)

    setattr(run_code, PATCHED, True)
    instance._run_code = run_code
    return True
