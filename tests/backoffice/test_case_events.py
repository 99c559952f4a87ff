"""`wkp admin events` on SQLite and PostgreSQL: bad rows go to the reject file with line, field
and reason; good rows are stored and delivered once; refusals by the case are rejected; a
re-import delivers nothing again; a batch read while Temporal is down is delivered next time."""

from datetime import date

import pytest

from backoffice.case_events import import_events
from engine import ReportRefused
from models.problems import InvalidInput
from models.reports import CaseReport
from tests.conftest import make_case, nth_bsn

TODAY = date(2026, 12, 2)
ROWS = [
    "case_id,on,kind,value",
    "E-1,2026-11-30,death_date,2026-11-20",  # delivered
    "E-2,2026-11-30,request,calculation-statement",  # delivered (a hyphen is accepted)
    "E-3,2026-11-30,pension_date,2026-01-01",  # refused by the case: before participation ended
    "E-1,2026-12-01,divorce,2026-11-20",  # kind unknown
    "E-2,2026-13-01,request,individual_transfer",  # no such day
    "E-2,2026-12-24,request,individual_transfer",  # learned in the future
    "E-9,2026-11-30,death_date,2026-11-20",  # not in the administration
    ",2026-11-30,death_date,2026-11-20",  # no case id
    "E-2,2026-11-30,request,a quote please",  # not a request we know
    "E-1,2026-11-30,death_date,2026-11-20",  # the same report twice in one file: one delivery
]


class Cases:
    """Stands in for the running cases: answers as the workflow's update does."""

    def __init__(self, down: bool = False) -> None:
        self.delivered: list[tuple[str, CaseReport]] = []
        self.down = down

    async def deliver(self, case_id: str, report: CaseReport) -> str:
        if self.down:
            raise RuntimeError("Failed client connect: connection refused")
        if report.pension_date is not None:
            raise ReportRefused("pension_date: must be after participation_end")
        self.delivered.append((case_id, report))
        return "recorded"


@pytest.fixture
async def loaded(admin):
    for n in (1, 2, 3):
        await admin.add_case(make_case(case_id=f"E-{n}", bsn=nth_bsn(300 + n), participation_end=date(2025, 3, 31)))
    return admin


async def test_bad_rows_are_rejected_good_ones_delivered_once_and_a_reimport_changes_nothing(loaded, tmp_path):
    path, rejects = tmp_path / "events.csv", tmp_path / "events.rejects.csv"
    path.write_text("\n".join(ROWS) + "\n")
    cases = Cases()
    first = await import_events(loaded, path, rejects, cases.deliver, "tester", TODAY)
    assert (first.rows, first.delivered, first.unchanged, first.rejected, first.pending) == (10, 2, 1, 7, 0)
    assert [(case_id, report.kind.value) for case_id, report in cases.delivered] == [
        ("E-1", "death_date"),
        ("E-2", "request"),
    ]
    rejected = rejects.read_text().splitlines()
    assert rejected == [
        "line,case_id,field,reason",
        "4,E-3,pension_date,must be after participation_end",
        '5,E-1,kind,"must be death_date, pension_date or request"',
        "6,E-2,on,is not a real calendar date",
        "7,E-2,on,is after today (2026-12-02): nothing is learned in advance",
        "8,E-9,case_id,is not in the administration",
        "9,,case_id,is required",
        "10,E-2,value,must be individual_transfer or calculation_statement for kind request",
    ]
    stored = await loaded.case_reports("E-1")
    assert [(r.kind, r.value, r.learned_on, r.answer) for r in stored] == [
        ("death_date", "2026-11-20", date(2026, 11, 30), "recorded")
    ]

    again = await import_events(loaded, path, rejects, cases.deliver, "tester", TODAY)
    assert (again.delivered, again.unchanged, again.rejected) == (0, 3, 7)
    assert len(cases.delivered) == 2  # nothing delivered twice
    assert rejects.read_text().splitlines() == rejected  # the same rejects, the refusal with its first reason
    assert len(await loaded.case_reports("E-1")) == 1 and len(await loaded.case_reports("E-2")) == 1


async def test_a_batch_read_while_temporal_is_down_is_stored_and_delivered_by_the_next_import(loaded, tmp_path):
    path, rejects = tmp_path / "events.csv", tmp_path / "events.rejects.csv"
    path.write_text("\n".join(ROWS[:3]) + "\n")
    down = await import_events(loaded, path, rejects, Cases(down=True).deliver, "tester", TODAY)
    assert (down.delivered, down.pending) == (0, 2) and "not delivered" in down.summary()
    assert [r.answer for r in await loaded.case_reports("E-1")] == [None]
    cases = Cases()
    up = await import_events(loaded, path, rejects, cases.deliver, "tester", TODAY)
    assert (up.delivered, up.pending, up.unchanged) == (2, 0, 0) and len(cases.delivered) == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [("case_id,on,kind\nE-1,2026-11-30,death_date\n", "header"), (b"\xff\xfe\x00bad", "UTF-8")],
)
async def test_an_unusable_file_is_refused_whole(loaded, tmp_path, content, problem):
    path = tmp_path / "events.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InvalidInput, match=problem):
        await import_events(loaded, path, tmp_path / "r.csv", Cases().deliver, "tester", TODAY)
    assert await loaded.case_reports("E-1") == []
