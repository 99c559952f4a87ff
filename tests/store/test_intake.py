import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.logging import configure_logging, get_logger
from models.bsn import bsn_problem
from models.problems import InvalidInput
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.intake import import_entitlements
from store.repository import Administration
from store.schema import Entitlement, Participant

HEADER = (
    "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension,"
    "net_pension,emigrated_eu_notified,consent_to_buyout,death_date\n"
)


def valid_bsn(n: int) -> str:
    """The n-th valid BSN after 100000000 (deterministic test data)."""
    prefix = 10_000_000 + n
    for check in range(10):
        candidate = f"{prefix}{check}"
        if bsn_problem(candidate) is None:
            return candidate
    return valid_bsn(n + 10_000_000)


def write(tmp_path: Path, body: str, name="export.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def rejects_of(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


async def counts(admin) -> tuple[int, int]:
    async with admin.transaction() as session:
        people = (await session.execute(select(func.count()).select_from(Participant))).scalar_one()
        cases = (await session.execute(select(func.count()).select_from(Entitlement))).scalar_one()
    return people, cases


async def test_good_rows_load_bad_rows_are_reported_and_reimport_changes_nothing(admin, tmp_path):
    path = write(
        tmp_path,
        "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,false,false,,\n"
        "C-2,111222334,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"  # bad BSN
        "C-3,123456782,1979-11-02,2021-05-31,2046-11-02,1.80,nee,ja,true,\n"
        "C-4,123456782,1979-11-02,2017-05-31,2046-11-02,abc,,,,\n"  # not money
        "C-5,100000009,1970-01-20,2015-06-30,2037-01-20,100.00,,,,2040-01-01\n"
        "C-6,100000009,1970-01-20,2015-06-30,2014-01-20,100.00,,,,\n"  # pension before end
        "C-7,100000009,1970-01-20,2015-06-30\n",  # too few fields
    )
    rejects = tmp_path / "r.csv"
    report = await import_entitlements(admin, path, rejects)
    assert (report.rows, report.loaded, report.unchanged, report.rejected_rows) == (7, 3, 0, 4)
    assert [(r["line"], r["case_id"], r["field"]) for r in rejects_of(rejects)] == [
        ("3", "C-2", "bsn"),
        ("5", "C-4", "old_age_pension"),
        ("7", "C-6", "pension_date"),
        ("8", "C-7", ""),
    ]
    assert "111222334" not in rejects.read_text()
    assert await counts(admin) == (3, 3)
    case = await admin.load_case("C-3")
    assert case.emigrated_eu_notified and case.consent_to_buyout and not case.net_pension

    again = await import_entitlements(admin, path, rejects)
    assert (again.loaded, again.unchanged, again.rejected_rows) == (0, 3, 4)
    assert await counts(admin) == (3, 3)


async def test_changed_data_for_a_known_case_is_rejected_not_overwritten(admin, tmp_path):
    await import_entitlements(
        admin, write(tmp_path, "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"), tmp_path / "r1.csv"
    )
    changed = write(tmp_path, "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,400.00,,,,\n", name="b.csv")
    report = await import_entitlements(admin, changed, tmp_path / "r2.csv")
    assert report.rejected_rows == 1
    assert rejects_of(tmp_path / "r2.csv")[0]["reason"] == "already in the administration with other old_age_pension"
    assert str((await admin.load_case("C-1")).old_age_pension) == "312.40"


async def test_duplicates_within_a_file_and_conflicting_birth_dates(admin, tmp_path):
    path = write(
        tmp_path,
        "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"
        "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"
        "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,1.00,,,,\n"
        "C-2,111222333,1986-02-14,2021-03-31,2052-02-14,20.00,,,,\n",
    )
    report = await import_entitlements(admin, path, tmp_path / "r.csv", batch_size=1)
    assert (report.loaded, report.unchanged, report.rejected_rows) == (1, 1, 2)
    reasons = [r["reason"] for r in rejects_of(tmp_path / "r.csv")]
    assert reasons == [
        "appears again with other data (first on line 2)",
        "differs from the birth date already recorded for this BSN",
    ]


async def test_a_bad_header_refuses_the_whole_file(admin, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("case_id,bsn,colour\nC-1,111222333,blue\n")
    with pytest.raises(InvalidInput) as caught:
        await import_entitlements(admin, path, tmp_path / "r.csv")
    assert "header: missing column 'birth_date'" in str(caught.value)
    assert "header: 1 unknown column(s)" in str(caught.value) and "colour" not in str(caught.value)
    assert await counts(admin) == (0, 0)


async def test_a_hundred_thousand_rows_with_bad_ones_lose_no_good_row(admin, tmp_path):
    lines, bad = [], set()
    for i in range(100_000):
        bsn = valid_bsn(i)
        if i % 997 == 0:
            bsn, _ = bsn[:-1] + str((int(bsn[-1]) + 1) % 10), bad.add(i)
        lines.append(f"C-{i},{bsn},1980-01-01,2021-03-31,2047-01-01,{i % 500}.{i % 100:02d},,,,\n")
    report = await import_entitlements(admin, write(tmp_path, "".join(lines)), tmp_path / "r.csv")
    assert report.rejected_rows == len(bad) and report.loaded == 100_000 - len(bad)
    assert {int(r["case_id"][2:]) for r in rejects_of(tmp_path / "r.csv")} == bad
    assert await counts(admin) == (100_000 - len(bad), 100_000 - len(bad))
    assert str((await admin.load_case("C-99998")).old_age_pension) == "498.98"


async def test_bsn_is_not_readable_in_the_sqlite_file(tmp_path, bsn_key):
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    migrate(url)
    admin = Administration(make_async_engine(url), BsnProtector(bsn_key))
    await import_entitlements(
        admin, write(tmp_path, "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"), tmp_path / "r.csv"
    )
    assert (await admin.load_case("C-1")).bsn == "111222333"
    await admin.close()  # checkpoint and close, so everything is on disk
    database_files = list(tmp_path.glob("embedded.db*"))
    assert database_files and all(b"111222333" not in f.read_bytes() for f in database_files)


def test_logs_mask_any_bsn():
    stream = io.StringIO()
    configure_logging(stream=stream)
    get_logger(case_id="C-1").info("looked up", bsn="111222333", note="person 123456782 and order 123456789")
    line = json.loads(stream.getvalue())
    assert line["bsn"] == "******333"
    assert line["note"] == "person ******782 and order 123456789"  # 123456789 fails the eleven-test: not a BSN


async def test_a_formula_like_cell_is_written_to_the_reject_file_as_text(admin, tmp_path):
    path = write(tmp_path, "=HYPERLINK(1),111222334,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n")  # bad BSN
    report = await import_entitlements(admin, path, tmp_path / "r.csv")
    assert report.rejected_rows == 1
    [reject] = rejects_of(tmp_path / "r.csv")
    assert reject["case_id"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it


async def test_an_oversized_cell_is_a_row_rejection_and_the_other_rows_load(admin, tmp_path):
    """A 10 MB cell (a broken export) rejects its row, naming the column; the import goes on."""
    path = write(
        tmp_path,
        "C-1,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n"
        f"C-2,123456782,1985-02-14,2021-03-31,2052-02-14,{'9' * 10_000_000},,,,\n"
        "C-3,100000009,1970-01-20,2015-06-30,2037-01-20,100.00,,,,\n",
    )
    report = await import_entitlements(admin, path, tmp_path / "rejects.csv")
    assert (report.rows, report.loaded, report.rejected_rows) == (3, 2, 1)
    [rejected] = rejects_of(tmp_path / "rejects.csv")
    assert (rejected["line"], rejected["case_id"], rejected["field"]) == ("3", "C-2", "old_age_pension")
    assert rejected["reason"] == "holds more than 500 characters"
    assert await counts(admin) == (2, 2)


async def test_a_case_id_that_is_a_bsn_is_masked_in_the_reject_file(admin, tmp_path):
    write(tmp_path, "111222333,111222333,1985-02-14,2021-03-31,2052-02-14,312.40,,,,\n")
    await import_entitlements(admin, tmp_path / "export.csv", tmp_path / "rejects.csv")
    text = (tmp_path / "rejects.csv").read_text()
    assert "111222333" not in text and "******333" in text and "must not be a BSN" in text
