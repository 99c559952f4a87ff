"""Intake: load former participants' small pensions from the provider's CSV export.

Every row is validated with the rulebook's models. A bad row goes to the reject file with its
line number, field and reason (never the BSN itself); good rows are loaded in batches, each
batch its own transaction. Importing the same file again changes nothing, and a row whose
case_id is already known with other data is rejected rather than silently overwritten.
"""

import codecs
import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select

from models.bsn import mask_text
from models.case import PensionCase
from models.problems import InvalidInput, Problem, problems_from
from models.spreadsheet import SafeWriter
from store.repository import Administration
from store.schema import Entitlement, Participant

REQUIRED_COLUMNS = ["case_id", "bsn", "birth_date", "participation_end", "pension_date", "old_age_pension"]
OPTIONAL_COLUMNS = ["net_pension", "emigrated_eu_notified", "consent_to_buyout", "death_date"]
REJECT_COLUMNS = ["line", "case_id", "field", "reason"]
TRUE, FALSE = {"true", "1", "yes", "ja", "j", "y"}, {"false", "0", "no", "nee", "n"}
# No field of an export comes near this: a longer cell is a broken export or an attack, and its
# row is rejected. The parser itself takes cells up to 16 MiB, so that such a row is a rejection,
# never a crash of the whole import.
MAX_CELL = 500
csv.field_size_limit(16 * 1024 * 1024)
COMPARED = [
    "participation_end",
    "pension_date",
    "old_age_pension",
    "net_pension",
    "emigrated_eu_notified",
    "consent_to_buyout",
    "death_date",
]


@dataclass
class ImportReport:
    rows: int = 0
    loaded: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    reject_file: Path | None = None
    problems: int = 0

    def summary(self) -> str:
        return f"{self.rows} rows: {self.loaded} loaded, {self.unchanged} unchanged, {self.rejected_rows} rejected" + (
            f" (see {self.reject_file})" if self.rejected_rows else ""
        )


@dataclass
class Row:
    line: int
    case: PensionCase


@dataclass
class Rejects:
    writer: Any
    rows: set[int] = field(default_factory=set)
    count: int = 0

    def add(self, line: int, case_id: str, path: str, reason: str) -> None:
        # The case id as the file has it, but never a BSN and never a whole oversized cell.
        shown = mask_text(case_id) if len(case_id) <= 64 else ""
        self.writer.writerow([line, shown, path, reason])
        self.rows.add(line)
        self.count += 1


def parse_flag(value: str, optional: bool) -> bool | None | str:
    text = value.strip().lower()
    if text == "":
        return None if optional else False
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return value  # pydantic reports it as not a boolean


def to_case_fields(raw: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {name: raw[name].strip() for name in REQUIRED_COLUMNS}
    for name in ("net_pension", "emigrated_eu_notified"):
        if name in raw:
            fields[name] = parse_flag(raw[name] or "", optional=False)
    if "consent_to_buyout" in raw:
        fields["consent_to_buyout"] = parse_flag(raw["consent_to_buyout"] or "", optional=True)
    if (raw.get("death_date") or "").strip():
        fields["death_date"] = raw["death_date"].strip()
    return fields


def check_header(columns: list[str] | None, path: Path) -> None:
    """The header names every required column once and nothing unknown. An unknown column is
    counted, never named: a file without its header has personal data in its first line."""
    columns = columns or []
    problems = [
        Problem(path="header", reason=f"missing column {name!r}") for name in REQUIRED_COLUMNS if name not in columns
    ]
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    unknown = [name for name in columns if name not in known]
    if unknown:
        problems.append(
            Problem(path="header", reason=f"{len(unknown)} unknown column(s) (is the first line the header?)")
        )
    twice = sorted({name for name in columns if name in known and columns.count(name) > 1})
    problems += [Problem(path="header", reason=f"column {name!r} appears more than once") for name in twice]
    if problems:
        raise InvalidInput(problems, source=str(path))


def check_encoding(path: Path) -> None:
    """The whole file is UTF-8 text, checked before anything is stored: a bad byte deep in an
    export would otherwise stop the import half-way."""
    line = 1
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with open(path, "rb") as source:
        while chunk := source.read(1024 * 1024):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise InvalidInput(
                    [Problem(path=f"line {line}", reason="is not UTF-8 text; nothing was imported")], source=str(path)
                ) from None
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput(
            [Problem(path=f"line {line}", reason="ends in the middle of a character; nothing was imported")],
            source=str(path),
        ) from None


def check_reject_path(path: Path, reject_path: Path) -> None:
    """The reject file is written from its first byte on: it may never be the input."""
    same = reject_path.resolve() == path.resolve()
    if not same and reject_path.exists():
        same = reject_path.samefile(path)
    if same:
        raise InvalidInput(
            [Problem(path="--rejects", reason="is the input file itself: the import would overwrite it")],
            source=str(path),
        )


def read_rows(reader: csv.DictReader, rejects: Rejects, report: ImportReport) -> Iterator[Row]:
    for raw in reader:
        line = reader.line_num
        report.rows += 1
        if None in raw:
            rejects.add(line, raw.get("case_id") or "", "", "more fields than the header has columns")
            continue
        if any(value is None for value in raw.values()):
            rejects.add(line, raw.get("case_id") or "", "", "fewer fields than the header has columns")
            continue
        oversized = [name for name, value in raw.items() if len(value) > MAX_CELL]
        if oversized:
            for name in oversized:
                rejects.add(line, raw.get("case_id") or "", name, f"holds more than {MAX_CELL} characters")
            continue
        try:
            yield Row(line, PensionCase.model_validate(to_case_fields(raw)))
        except ValidationError as error:
            for problem in problems_from(error):
                rejects.add(line, raw.get("case_id") or "", problem.path, problem.reason)


async def load_batch(admin: Administration, batch: list[Row], rejects: Rejects, report: ImportReport) -> None:
    protector = admin.protector
    async with admin.transaction() as session:
        known = {
            entitlement.case_id: (entitlement, participant)
            for entitlement, participant in (
                await session.execute(
                    select(Entitlement, Participant)
                    .join(Participant, Participant.id == Entitlement.participant_id)
                    .where(Entitlement.case_id.in_([row.case.case_id for row in batch]))
                )
            ).all()
        }
        fresh: list[Row] = []
        for row in batch:
            case = row.case
            if case.case_id not in known:
                fresh.append(row)
                continue
            entitlement, participant = known[case.case_id]
            differing = [name for name in COMPARED if getattr(entitlement, name) != getattr(case, name)]
            if participant.bsn_lookup != protector.lookup(case.bsn):
                differing.insert(0, "bsn")
            if participant.birth_date != case.birth_date:
                differing.insert(0, "birth_date")
            if differing:
                rejects.add(
                    row.line,
                    case.case_id,
                    "case_id",
                    f"already in the administration with other {', '.join(differing)}",
                )
            else:
                report.unchanged += 1
        if not fresh:
            return

        lookups = {protector.lookup(row.case.bsn): row.case for row in fresh}
        existing = {
            lookup: (pid, birth)
            for lookup, pid, birth in (
                await session.execute(
                    select(Participant.bsn_lookup, Participant.id, Participant.birth_date).where(
                        Participant.bsn_lookup.in_(lookups)
                    )
                )
            ).all()
        }
        new_people = [
            {"bsn_lookup": lookup, "bsn_cipher": protector.encrypt(case.bsn), "birth_date": case.birth_date}
            for lookup, case in lookups.items()
            if lookup not in existing
        ]
        if new_people:
            await session.execute(insert(Participant), new_people)
            existing.update(
                {
                    lookup: (pid, birth)
                    for lookup, pid, birth in (
                        await session.execute(
                            select(Participant.bsn_lookup, Participant.id, Participant.birth_date).where(
                                Participant.bsn_lookup.in_([p["bsn_lookup"] for p in new_people])
                            )
                        )
                    ).all()
                }
            )
        entitlements = []
        for row in fresh:
            participant_id, birth_date = existing[protector.lookup(row.case.bsn)]
            if birth_date != row.case.birth_date:
                rejects.add(
                    row.line,
                    row.case.case_id,
                    "birth_date",
                    "differs from the birth date already recorded for this BSN",
                )
                continue
            entitlements.append(
                {"participant_id": participant_id, **row.case.model_dump(include={"case_id", *COMPARED})}
            )
        if entitlements:
            await session.execute(insert(Entitlement), entitlements)
        report.loaded += len(entitlements)


async def import_entitlements(
    admin: Administration,
    path: Path,
    reject_path: Path,
    progress: Callable[[int], None] = lambda rows: None,
    batch_size: int = 2000,
) -> ImportReport:
    report = ImportReport(reject_file=reject_path)
    if path.is_file():
        check_reject_path(path, reject_path)
        check_encoding(path)
    try:
        source = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise InvalidInput(
            [Problem(path="", reason=f"cannot be read ({(error.strerror or 'error').lower()})")], source=str(path)
        ) from None
    with source, open(reject_path, "w", newline="", encoding="utf-8") as reject_file:
        reader = csv.DictReader(source)
        check_header(list(reader.fieldnames) if reader.fieldnames is not None else None, path)
        writer = SafeWriter(reject_file)
        writer.writerow(REJECT_COLUMNS)
        rejects = Rejects(writer)
        try:
            await load_rows(admin, read_rows(reader, rejects, report), rejects, report, progress, batch_size)
        except csv.Error as error:
            # The csv module's reasons hold no data ("line contains NUL", "field larger than ...").
            count_rejects(report, rejects)
            reason = f"is not CSV ({error}); before it: {report.summary()}"
            raise InvalidInput([Problem(path=f"line {reader.line_num}", reason=reason)], source=str(path)) from None
    count_rejects(report, rejects)
    return report


def count_rejects(report: ImportReport, rejects: Rejects) -> None:
    report.rejected_rows, report.problems = len(rejects.rows), rejects.count


async def load_rows(
    admin: Administration,
    rows: Iterator[Row],
    rejects: Rejects,
    report: ImportReport,
    progress: Callable[[int], None],
    batch_size: int,
) -> None:
    """Good rows in batches of `batch_size`, each its own transaction; repeats within the file
    counted once, a case_id again with other data rejected."""
    seen: dict[str, tuple[int, bytes]] = {}  # case_id -> (first line, digest of its data)
    batch: list[Row] = []
    for row in rows:
        digest = hashlib.blake2b(row.case.model_dump_json().encode(), digest_size=16).digest()
        first = seen.get(row.case.case_id)
        if first is not None:
            if first[1] != digest:
                rejects.add(
                    row.line, row.case.case_id, "case_id", f"appears again with other data (first on line {first[0]})"
                )
            else:
                report.unchanged += 1
            continue
        seen[row.case.case_id] = (row.line, digest)
        batch.append(row)
        if len(batch) >= batch_size:
            await load_batch(admin, batch, rejects, report)
            progress(report.rows)
            batch = []
    if batch:
        await load_batch(admin, batch, rejects, report)
    progress(report.rows)
