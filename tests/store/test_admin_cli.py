"""`wkp admin init` and `wkp admin import` as a user runs them, on both engines."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

WKP = str(Path(sys.executable).parent / "wkp")
CSV = (
    "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n"
    "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40\n"
    "C-2,111222334,1985-02-14,2021-03-31,2052-02-14,312.40\n"
)


def wkp(tmp_path: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([WKP, *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def test_init_and_import_from_the_command_line(tmp_path, database_url):
    env = {
        **os.environ,
        "WKP_HOME": str(tmp_path / ".wkp"),
        "WKP_DATABASE_URL": database_url,
        "WKP_BSN_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    init = wkp(tmp_path, env, "admin", "init")
    assert init.returncode == 0, init.stderr
    assert "administration ready" in init.stdout

    (tmp_path / "export.csv").write_text(CSV)
    first = wkp(tmp_path, env, "admin", "import", "export.csv", "--no-progress")
    assert first.returncode == 3, first.stderr  # some rows rejected
    assert "2 rows: 1 loaded, 0 unchanged, 1 rejected (see export.rejects.csv)" in first.stdout
    assert (tmp_path / "export.rejects.csv").read_text().splitlines()[1] == "3,C-2,bsn,fails the eleven-test (elfproef)"
    assert "111222333" not in first.stderr + first.stdout and "111222334" not in first.stderr

    again = wkp(tmp_path, env, "admin", "import", "export.csv", "--no-progress")
    assert "2 rows: 0 loaded, 1 unchanged, 1 rejected" in again.stdout

    missing = wkp(tmp_path, env, "admin", "import", "nope.csv")
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == "error: nope.csv: cannot be read (no such file or directory)"
    )


def test_a_bad_key_is_a_clear_error(tmp_path):
    env = {**os.environ, "WKP_HOME": str(tmp_path / ".wkp"), "WKP_BSN_KEY": "not base64!"}
    (tmp_path / "export.csv").write_text(CSV)
    result = wkp(tmp_path, env, "admin", "import", "export.csv", "--no-progress")
    assert result.returncode == 2 and "WKP_BSN_KEY: is not valid base64" in result.stderr
