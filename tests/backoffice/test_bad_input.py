"""Bad and hostile input through the installed `wkp`, as a careless or hostile user gives it.

For each: the exit code (2 bad input, 1 a service that is not there), exactly one line on stderr
starting `error:`, no traceback, no BSN anywhere in the output, the input file unchanged, and
nothing already stored lost."""

import base64
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from store.throwaway_postgres import free_port

WKP = str(Path(sys.executable).parent / "wkp")
BSN = "111222333"  # passes the eleven-test: it may appear in no output
SECRET = "s3cr3t-codec-token"  # nor may a secret
CASE = {
    "case_id": "C-1",
    "bsn": BSN,
    "birth_date": "1985-02-14",
    "participation_end": "2021-03-31",
    "pension_date": "2052-02-14",
    "old_age_pension": "312.40",
}
HEADER = "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n"


def case_json(**changes) -> str:
    return json.dumps({**CASE, **changes})


@dataclass
class Bad:
    name: str
    args: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    exit_code: int = 2
    says: str = ""  # a part of the one line
    env: dict[str, str] = field(default_factory=dict)


GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "wkp-out-PF-A-C-1.json").read_text())


def broken_export(change) -> str:
    """A real export (a golden history) with one run changed by `change(events)`."""
    export = json.loads(json.dumps(GOLDEN))
    change(export["runs"][0]["events"])
    return json.dumps(export)


def explain(name: str, says: str = "", **changes: str) -> "Bad":
    """`wkp rules explain` of a case file with these fields changed."""
    return Bad(name, ["rules", "explain", "case.json"], {"case.json": case_json(**changes)}, says=says)


BAD_INPUTS = [
    # Services that are not there: one line saying what to do.
    Bad("case show, no Temporal", ["case", "show", "C-1"], exit_code=1, says="not reachable"),
    Bad("wave pause, no Temporal", ["wave", "pause", "W1"], exit_code=1, says="not reachable"),
    Bad("audit export, no Temporal", ["audit", "export", "C-1"], exit_code=1, says="not reachable"),
    # Case files for `wkp rules explain`.
    explain("a BSN in a date field", birth_date=BSN),
    explain("a BSN as the amount", old_age_pension=BSN),
    explain("an amount in exponent form", old_age_pension="1e30"),
    explain("a negative amount", old_age_pension="-5.00"),
    explain("three decimals", old_age_pension="312.401"),
    explain("a birth date in year 1", birth_date="0001-01-01"),
    explain("a pension date in 9999", pension_date="9999-12-31"),
    explain("a bad BSN", bsn="111222334", says="bsn"),
    explain("a case id that is a BSN", case_id=BSN),
    explain("a NUL in the case id", case_id="C-\u00001"),
    Bad("not JSON", ["rules", "explain", "case.json"], {"case.json": "{" + BSN}),
    Bad("deeply nested JSON", ["rules", "explain", "case.json"], {"case.json": "[" * 100_000 + "]" * 100_000}),
    Bad("not UTF-8", ["rules", "explain", "case.json"], {"case.json": b"\xff\xfe" + BSN.encode()}),
    Bad("a missing file", ["rules", "explain", "missing.json"]),
    # Dates and terms.
    Bad("a term past the calendar", ["rules", "due", "--after", "9999-12-31", "--working-days", "10"]),
    Bad("a date that is a BSN", ["rules", "due", "--after", BSN, "--working-days", "10"]),
    # Scenarios and audit exports.
    Bad("a scenario that is not JSON", ["simulate", "scenario.json"], {"scenario.json": "nonsense " + BSN}),
    Bad("an audit export that is not one", ["audit", "replay", "export.json"], {"export.json": '{"runs": 5}'}),
    Bad(
        "a history without its first event",
        ["audit", "replay", "export.json"],
        {"export.json": broken_export(lambda events: events.pop(0))},
        says="does not begin with its WorkflowExecutionStarted event",
    ),
    Bad(
        "a history with a gap",
        ["audit", "replay", "export.json"],
        {"export.json": broken_export(lambda events: events.pop(3))},
        says="event ids are not 1, 2, 3",
    ),
    # Imports (the administration is made by the test's `wkp admin init`).
    Bad("a headerless CSV", ["admin", "import", "export.csv"], {"export.csv": f"C-1,{BSN},1985-02-14\n"}),
    Bad(
        "a duplicated column",
        ["admin", "import", "export.csv"],
        {"export.csv": HEADER.strip() + ",bsn\n" + f"C-1,{BSN},1985-02-14,2021-03-31,2052-02-14,312.40,{BSN}\n"},
    ),
    Bad(
        "the reject file is the input",
        ["admin", "import", "export.csv", "--rejects", "export.csv"],
        {"export.csv": HEADER + f"C-1,{BSN},1985-02-14,2021-03-31,2052-02-14,312.40\n"},
    ),
    # Settings holding a secret: the variable is named, the secret never shown.
    Bad("malformed codec tokens", ["admin", "threshold", "list"], env={"WKP_CODEC_TOKENS": f"[{SECRET}"}),
    Bad("a codec token with a space", ["codec-server"], env={"WKP_CODEC_TOKENS": f'["{SECRET} x"]'}),
    Bad(
        "a bad byte deep in the file",
        ["admin", "import", "export.csv"],
        {
            "export.csv": (
                HEADER
                + "".join(f"X-{i},{BSN},1985-02-14,2021-03-31,2052-02-14,312.40\n" for i in range(3000))
                + "X-bad,\xff,1985-02-14,2021-03-31,2052-02-14,312.40\n"
            ).encode("latin-1")
        },
        says="line 3002: is not UTF-8 text; nothing was imported",
    ),
    # Operator data.
    Bad("a threshold in exponent form", ["admin", "threshold", "set", "2026", "1e3", "--source", "x"]),
    Bad("a negative zero threshold", ["admin", "threshold", "set", "--source", "x", "--", "2026", "-0.00"]),
    Bad("a month that is not one", ["admin", "funding-ratio", "set", "PF-A", "2026-13", "1.10", "--source", "x"]),
    Bad("an unknown provider kind", ["admin", "provider", "add", "PF-X", "--kind", "bank"]),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("bad-input")
    env = {
        **os.environ,
        "WKP_HOME": str(folder / ".wkp"),
        "WKP_BSN_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "WKP_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens there
    }
    init = subprocess.run([WKP, "admin", "init"], capture_output=True, text=True, cwd=folder, env=env, timeout=120)
    assert init.returncode == 0, init.stderr
    good = folder / "good.csv"
    good.write_text(HEADER + f"G-1,{BSN},1985-02-14,2021-03-31,2052-02-14,312.40\n")
    loaded = subprocess.run(
        [WKP, "admin", "import", "good.csv", "--no-progress"], capture_output=True, text=True, cwd=folder, env=env
    )
    assert loaded.returncode == 0, loaded.stderr
    return folder, env


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.name for bad in BAD_INPUTS])
def test_refused_cleanly(bad: Bad, home):
    folder, env = home
    work = folder / bad.name.replace(" ", "-").replace(",", "")
    work.mkdir()
    (work / ".wkp").symlink_to(folder / ".wkp")
    for name, content in bad.files.items():
        (work / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    before = {name: (work / name).read_bytes() for name in bad.files}
    result = subprocess.run([WKP, *bad.args], capture_output=True, cwd=work, env={**env, **bad.env}, timeout=120)
    out, err = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    assert result.returncode == bad.exit_code, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err
    assert BSN not in out + err and SECRET not in out + err
    assert bad.says in lines[0]
    assert {name: (work / name).read_bytes() for name in bad.files} == before  # input unchanged
    assert BSN not in "".join(path.read_text(errors="replace") for path in work.glob("*rejects*"))


def test_nothing_stored_was_lost(home):
    """After every refusal above, the good row imported first is still there, once."""
    folder, env = home
    again = subprocess.run(
        [WKP, "admin", "import", "good.csv", "--no-progress"], capture_output=True, text=True, cwd=folder, env=env
    )
    assert again.returncode == 0 and "1 unchanged" in again.stdout, again.stdout + again.stderr


def test_what_wkp_writes_is_for_its_owner_only(home):
    """WKP_HOME 0700; the administration's database and a reject file 0600 (they hold personal data)."""
    folder, env = home
    assert (folder / ".wkp").stat().st_mode & 0o777 == 0o700
    assert (folder / ".wkp" / "administration.db").stat().st_mode & 0o777 == 0o600
    (folder / "one-bad.csv").write_text(HEADER + f"B-1,{BSN},1985-02-14,2021-03-31,2052-02-14,-1\n")
    subprocess.run([WKP, "admin", "import", "one-bad.csv", "--no-progress"], cwd=folder, env=env, capture_output=True)
    rejects = next(folder.glob("one-bad*rejects*"))
    assert rejects.stat().st_mode & 0o777 == 0o600 and BSN not in rejects.read_text()
