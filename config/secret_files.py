"""Secrets the embedded setup makes for itself: written once under WKP_HOME, readable by the
owner only (0600), and read back on every later start. A production deployment configures its
secrets instead (WKP_BSN_KEY, WKP_PAYLOAD_KEYS, WKP_CODEC_TOKENS) and never reaches this."""

import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's text; when it does not exist yet, `make()` written there first. Processes
    starting together agree: only one creates the file (O_EXCL), the others read it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
    return path.read_text().strip()
