"""Compiled modules for the workflow sandbox.

The sandbox imports a workflow's modules afresh for every workflow run it builds (a new case, a
case taken back into the cache, every continue-as-new). Python then reads their bytecode from
`__pycache__` — unless there is none: PYTHONDONTWRITEBYTECODE (which container images and this
machine set) or a read-only install make it compile `workflows/outgoing.py` and its siblings from
source for every run. In bench/wave.py that compiling was 15 % of the worker's busy CPU.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

WORKFLOW_SOURCES = Path(__file__).resolve().parents[1] / "workflows"


def keep_workflow_bytecode() -> Path | None:
    """When bytecode cannot be written beside the sources, keep it in a folder of this process's
    own (removed at exit) and let Python write it there. Returns that folder, or None when the
    sources' own `__pycache__` already serves. The choice not to litter the source tree is kept:
    nothing is written beside the sources."""
    if sys.pycache_prefix or (not sys.dont_write_bytecode and os.access(WORKFLOW_SOURCES, os.W_OK)):
        return None
    folder = Path(tempfile.mkdtemp(prefix="wkp-bytecode-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    sys.pycache_prefix = str(folder)
    sys.dont_write_bytecode = False
    return folder
