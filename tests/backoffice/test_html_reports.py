"""The HTML reports escape every value: a case id crafted as markup is text, never live HTML."""

from datetime import date

from backoffice.wave_report import build_report, write_report
from models.ledger import AuditStep, CaseProjection

HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_hostile_case_id_is_escaped_in_the_wave_report(tmp_path):
    case = CaseProjection(case_id=HOSTILE, regime="17e", status="awaiting_threshold", waiting_for=f"x {HOSTILE}")
    step = AuditStep(
        idempotency_key="k", subject_id=HOSTILE, step="deadline_breached", article="17e.1",
        due=date(2022, 3, 31), actual=date(2022, 4, 1), details={},
    )  # fmt: skip
    html, _ = write_report(build_report("W1", date(2026, 11, 25), 1, [case], [step]), tmp_path)
    text = html.read_text()
    assert HOSTILE not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
