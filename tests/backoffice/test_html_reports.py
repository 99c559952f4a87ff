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


def test_a_hostile_case_id_cannot_name_a_file_outside_the_output_folder(tmp_path):
    case = CaseProjection(case_id="../../escaped", regime="17e", status="closed")
    html, table = write_report(build_report("../../W1", date(2026, 11, 25), 1, [case], []), tmp_path / "out")
    assert html.parent == table.parent == tmp_path / "out" and html.name == "wave-_.._W1.html"


async def test_hostile_case_ids_render_as_text_in_chromium_in_the_audit_and_wave_reports(tmp_path):
    """Debian's headless chromium opens both reports: no script runs (no dialog, no error from
    the injected handler), no element was injected, and a reader sees the id as written."""
    from backoffice.audit import AuditReport, timeline, write_audit_report
    from tests.browser import chromium_page

    step = AuditStep(
        idempotency_key="k", subject_id=HOSTILE, step="deadline_breached", article="17e.1",
        due=date(2022, 3, 31), actual=date(2022, 4, 1), details={"reason": HOSTILE},
    )  # fmt: skip
    case = CaseProjection(case_id=HOSTILE, regime="17e", status="awaiting_threshold", waiting_for=HOSTILE)
    wave, _ = write_report(build_report("W1", date(2026, 11, 25), 1, [case], [step]), tmp_path)
    audit, _ = write_audit_report(
        AuditReport(HOSTILE, f"wkp-out-PF-A-{HOSTILE}", date(2026, 11, 25), timeline([step]), None, None), tmp_path
    )
    assert audit.parent == tmp_path
    async with chromium_page() as page:
        ran: list[str] = []
        page.on("dialog", lambda dialog: ran.append(dialog.message))
        page.on("pageerror", lambda error: ran.append(str(error)))
        for report in (wave, audit):
            await page.goto(report.as_uri())
            await page.wait_for_load_state("load")
            assert await page.locator("img").count() == 0
            assert HOSTILE in await page.locator("body").inner_text()
    assert ran == []
