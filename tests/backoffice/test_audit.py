"""`wkp audit` as an auditor runs it, on a golden export of a bought-off case (C-4: five failed
attempts, the offer, consent, the buy-out payment)."""

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from models.ids import case_workflow_id
from tests.conftest import TEST_PAYLOAD_KEYS

WKP = str(Path(sys.executable).parent / "wkp")
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def golden_file(case_id: str):
    return GOLDEN / f"{case_workflow_id('PF-A', case_id)}.json"


def wkp(tmp_path, *args: str, keys: str = TEST_PAYLOAD_KEYS) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "WKP_HOME": str(tmp_path / ".wkp"), "WKP_PAYLOAD_KEYS": keys}
    return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_the_report_of_a_bought_off_case_lists_attempts_offer_consent_and_payment(tmp_path):
    done = wkp(tmp_path, "audit", "report", "C-4", "--from", str(golden_file("C-4")), "--out", "out")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "audit-C-4.txt").read_text()
    failed = re.findall(r"^(\d{4}-\d\d-\d\d)  transfer_failed", text, re.M)
    assert failed == ["2021-02-01", "2022-02-01", "2023-02-01", "2024-02-01", "2025-02-01"]
    queries = re.findall(r"^(\d{4}-\d\d-\d\d)  register_query\s+(\S+)\s+(\S+)\s+met", text, re.M)
    assert queries[0] == ("2021-02-01", "17e.1", "2022-01-31") and [q[1] for q in queries[1:]] == ["17e.2"] * 4
    assert re.search(r"^2025-02-01  buyout_offered\s+66\.2\.c\s+failed attempts 5$", text, re.M)
    assert re.search(r"^2025-02-01  consent_given\s+66\s+2025-05-03\s+met\s+consent True$", text, re.M)
    assert re.search(r"^2025-02-03  buyout_paid\s+66\s+amount 1793\.04$", text, re.M)
    assert "Transfer value:           EUR 1793.04" in text
    assert "replay against the current code" in text
    html = (tmp_path / "out" / "audit-C-4.html").read_text()
    assert html.count("<td>transfer_failed</td>") == 5 and "<td>buyout_paid</td>" in html


def test_replay_of_an_export_passes_and_a_wrong_key_or_bad_file_is_a_clear_error(tmp_path):
    ok = wkp(tmp_path, "audit", "replay", str(golden_file("C-1")))
    assert ok.returncode == 0 and "all 1 recorded run(s) replay" in ok.stdout, ok.stdout + ok.stderr
    other_keys = '{"prod-1": "' + "A" * 43 + '="}'
    wrong_key = wkp(tmp_path, "audit", "replay", str(golden_file("C-1")), keys=other_keys)
    assert wrong_key.returncode == 1 and "encrypted with key 'test-1', not in WKP_PAYLOAD_KEYS" in wrong_key.stderr
    assert wrong_key.stdout == "" and len(wrong_key.stderr.splitlines()) == 1
    (tmp_path / "bad.json").write_text('{"runs": 3}')
    bad = wkp(tmp_path, "audit", "replay", "bad.json")
    assert bad.returncode == 2 and "format" in bad.stderr


def test_the_report_of_a_buy_out_shows_the_afkoopvoet_and_its_source(tmp_path):
    """Recorded by the current code (v3): the lump sum is the afkoopvoet x the pension (Besluit 16)."""
    export = GOLDEN / "v3" / "all-paths" / f"{case_workflow_id('PF-A', 'C-4')}.json"
    done = wkp(tmp_path, "audit", "report", "C-4", "--from", str(export), "--out", "out")
    assert done.returncode == 0, done.stderr
    [paid] = re.findall(r"^2025-02-03  buyout_paid\s+66\s+(.*)$", done.stdout, re.M)
    amount, factor = re.match(r"amount (\S+), factor (\S+), factor source wkp illustrative afkoopvoet", paid).groups()
    assert Decimal(amount) == (Decimal("300.00") * Decimal(factor)).quantize(Decimal("0.01"))
    assert "factor illustrative yes" in paid and "replay against the current code" in done.stdout
