"""What operators record so that no case waits forever: thresholds (PW 66), providers, funding
ratios (PW 72) and Royal-decree days (Atw 3.3). Each recording is checked, written to the
administration, audited (who, when, what, source), and the cases waiting for such data are told
to look again at once (without that they look again within a week by themselves).

A refusal names the field and the rule, never the value typed.
"""

import getpass
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from backoffice.csv_tables import read_table, write_rejects
from backoffice.errors import fail
from config.settings import Settings
from engine import temporal_client, wake_waiting_cases
from models.afkoopvoet import AfkoopvoetPeriod
from models.ledger import AuditStep, DecreeDayRecord, FundingRatioRecord, ProviderRecord, ThresholdRecord
from models.money import to_money
from models.problems import problems_from
from models.provider import ProviderKind
from rules.calendar import DECREE_DAYS
from rules.legal_time import amsterdam_date
from rules.thresholds import STATUTORY_SOURCES, STATUTORY_THRESHOLDS, below_statutory
from store.database import migrate
from store.factory import administration
from store.repository import Administration

M = TypeVar("M", ThresholdRecord, FundingRatioRecord, DecreeDayRecord, AfkoopvoetPeriod)
OPERATOR = "operator"  # the audit log's subject for what operators record
RATIO_COLUMNS = ["provider_id", "month", "ratio", "source"]


def today() -> date:
    return amsterdam_date(datetime.now(UTC))


# -- checking what an operator typed --------------------------------------------------------


def threshold_record(year: int, amount: str, source: str) -> ThresholdRecord:
    try:
        value = to_money(amount)
    except ValueError:
        raise fail("amount: must be an amount in euros with at most two decimals") from None
    if below_statutory(year, value):
        raise fail(f"amount: is below the statutory threshold for {year} (PW 66); a lower one is not allowed")
    return validated(ThresholdRecord, year=year, amount=value, source=source, known_from=today())


def provider_record(provider_id: str, kind: str, name: str | None) -> ProviderRecord:
    if kind not in {k.value for k in ProviderKind}:
        raise fail("--kind: must be fund, insurer or ppi")
    if not provider_id or len(provider_id) > 32 or not provider_id.isprintable() or " " in provider_id:
        raise fail("provider_id: must be 1 to 32 printable characters without spaces")
    return ProviderRecord(id=provider_id, kind=kind, name=name)


def ratio_record(provider_id: str, month: str, ratio: str, source: str | None) -> FundingRatioRecord:
    try:
        value = Decimal(ratio.strip())
    except InvalidOperation:
        raise fail("ratio: must be a fraction such as 1.054") from None
    return validated(FundingRatioRecord, provider_id=provider_id, month=month, ratio=value, source=source)


def afkoopvoet_record(
    valid_from: date, valid_to: date | None, flat: str | None, by_age_file: Path | None, source: str
) -> AfkoopvoetPeriod:
    """Besluit 16: one factor for every age, or a table by age (a CSV file with columns age,factor)."""
    if (flat is None) == (by_age_file is None):
        raise fail("afkoopvoet: give exactly one of --factor (every age) or --by-age FILE.csv")
    fields: dict[str, object] = {"valid_from": valid_from, "valid_to": valid_to, "source": source}
    if flat is not None:
        fields["flat"] = flat.strip()
    else:
        assert by_age_file is not None
        fields["by_age"] = read_age_table(by_age_file)
    return validated(AfkoopvoetPeriod, **fields)


def read_age_table(path: Path) -> dict[str, str]:
    reader = read_table(path, None, ["age", "factor"])
    table: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        age = (row["age"] or "").strip()
        if age in table:
            raise fail(f"{path.name}: line {line}: age: appears twice")
        table[age] = (row["factor"] or "").strip()
    if not table:
        raise fail(f"{path.name}: has no ages")
    return table


def decree_record(day: date, source: str) -> DecreeDayRecord:
    return validated(DecreeDayRecord, day=day, source=source)


def validated(model: type[M], **fields: object) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problem = problems_from(error)[0]
        raise fail(f"{problem.path}: {problem.reason}") from None


# -- recording, auditing and waking the waiting cases ---------------------------------------


async def audit(admin: Administration, step: str, article: str, key: str, details: dict[str, object]) -> None:
    """An audit row for what an operator recorded: who, when, what and its source."""
    await admin.record_audit_step(
        AuditStep(
            idempotency_key=f"{OPERATOR}/{key}",
            subject_id=OPERATOR,
            step=step,
            article=article,
            due=None,
            actual=today(),
            details={**details, "by": getpass.getuser(), "at": datetime.now(UTC).isoformat(timespec="seconds")},
        )
    )


async def wake(settings: Settings) -> str:
    try:
        async with temporal_client(settings) as client:
            told = await wake_waiting_cases(client)
    except Exception:  # noqa: BLE001 - the recording stands; the cases find it themselves
        return "Temporal is not reachable: waiting cases look again by themselves within a week"
    return f"{told} waiting case(s) told to look again"


async def record_threshold(settings: Settings, record: ThresholdRecord) -> str:
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        changed = await admin.record_threshold(record)
        if not changed:
            return f"threshold {record.year}: EUR {record.amount} was recorded already; nothing changed"
        details = {"year": record.year, "amount": str(record.amount), "source": record.source}
        await audit(admin, "threshold_recorded", "66", f"threshold/{record.year}/{record.amount}", details)
    return f"threshold {record.year}: EUR {record.amount} recorded ({record.source}); {await wake(settings)}"


async def threshold_lines(settings: Settings) -> list[str]:
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        recorded = {record.year: record for record in await admin.thresholds()}
    lines = []
    for year in sorted(set(STATUTORY_THRESHOLDS) | set(recorded)):
        if year in recorded:
            r = recorded[year]
            lines.append(f"{year}  EUR {r.amount:>8}  recorded {r.known_from}: {r.source}")
        else:
            lines.append(f"{year}  EUR {STATUTORY_THRESHOLDS[year]:>8}  shipped: {STATUTORY_SOURCES[year]}")
    return lines


async def record_provider(settings: Settings, record: ProviderRecord) -> str:
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        await admin.upsert_provider(record)
        details = {"provider": record.id, "kind": record.kind, "name": record.name}
        await audit(admin, "provider_recorded", "", f"provider/{record.id}/{record.kind}/{record.name}", details)
    return f"provider {record.id} ({record.kind}) recorded; {await wake(settings)}"


async def provider_lines(settings: Settings) -> list[str]:
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        return [f"{p.id:<10} {p.kind:<8} {p.name or ''}".rstrip() for p in await admin.providers()]


async def record_ratios(settings: Settings, records: list[FundingRatioRecord]) -> str:
    """Record funding ratios of funds the administration knows; the same ratio again changes nothing."""
    migrate(settings.administration_url())
    recorded = 0
    async with administration(settings) as admin:
        kinds = {p.id: p.kind for p in await admin.providers()}
        for record in records:
            if kinds.get(record.provider_id) != ProviderKind.FUND.value:
                raise fail(f"provider_id: {record.provider_id} is not a fund in the administration (PW 72)")
        for record in records:
            if await admin.set_funding_ratio(record.provider_id, record.month, record.ratio, record.source):
                recorded += 1
                details = {"provider": record.provider_id, "month": record.month, "ratio": str(record.ratio)}
                key = f"funding-ratio/{record.provider_id}/{record.month}/{record.ratio}"
                await audit(admin, "funding_ratio_recorded", "72", key, {**details, "source": record.source})
    unchanged = len(records) - recorded
    message = f"funding ratios: {recorded} recorded, {unchanged} unchanged"
    return f"{message}; {await wake(settings)}" if recorded else message


def read_ratio_csv(path: Path, reject_path: Path) -> tuple[list[FundingRatioRecord], int]:
    """A month's published ratios; bad rows to the reject file (line, field, reason)."""
    reader = read_table(path, reject_path, RATIO_COLUMNS)
    records, rejects = [], []
    for line, row in enumerate(reader, start=2):
        try:
            records.append(FundingRatioRecord.model_validate({**row, "source": row.get("source") or None}))
        except ValidationError as error:
            problem = problems_from(error)[0]
            rejects.append([line, problem.path, problem.reason])
    write_rejects(reject_path, ["line", "field", "reason"], rejects)
    return records, len(rejects)


async def record_afkoopvoet(settings: Settings, period: AfkoopvoetPeriod) -> str:
    """Record (or correct) the afkoopvoet of a period; buy-outs waiting for one go on at once."""
    migrate(settings.administration_url())
    table = f"factor {period.flat}" if period.flat is not None else f"{len(period.by_age or {})} ages"
    async with administration(settings) as admin:
        if not await admin.record_afkoopvoet(period):
            return f"afkoopvoet from {period.valid_from} was recorded already; nothing changed"
        details = {
            "valid_from": period.valid_from.isoformat(),
            "valid_to": period.valid_to.isoformat() if period.valid_to else None,
            **period.model_dump(mode="json", include={"flat", "by_age"}, exclude_none=True),
            "source": period.source,
        }
        key = f"afkoopvoet/{period.valid_from}/{hash_of(details)}"
        await audit(admin, "afkoopvoet_recorded", "Besluit 16", key, details)
    until = f" to {period.valid_to}" if period.valid_to else ""
    return f"afkoopvoet from {period.valid_from}{until} ({table}) recorded ({period.source}); {await wake(settings)}"


def hash_of(details: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(details, sort_keys=True).encode()).hexdigest()[:16]


async def afkoopvoet_lines(settings: Settings) -> list[str]:
    """Recorded periods (which win for the days they cover), then the configured table."""
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        recorded = await admin.afkoopvoet_periods()
    lines = [period_line("recorded", period) for period in recorded]
    configured = settings.configured_afkoopvoet()
    lines += [period_line(f"configured ({settings.afkoopvoet_file})", period) for period in configured]
    return lines or ["no afkoopvoet: every buy-out waits until one is recorded (wkp admin afkoopvoet set)"]


def period_line(origin: str, period: AfkoopvoetPeriod) -> str:
    table = f"factor {period.flat}" if period.flat is not None else f"by age ({len(period.by_age or {})} ages)"
    until = period.valid_to.isoformat() if period.valid_to else "onwards"
    mark = " ILLUSTRATIVE" if period.illustrative else ""
    return f"{period.valid_from} to {until:<10}  {table:<20} {origin}{mark}: {period.source}"


async def record_decree_day(settings: Settings, record: DecreeDayRecord) -> str:
    if record.day in DECREE_DAYS:
        return f"{record.day} ships with wkp already ({DECREE_DAYS[record.day]}); nothing changed"
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        if not await admin.record_decree_day(record):
            return f"{record.day} was recorded already; nothing changed"
        details = {"day": record.day.isoformat(), "source": record.source}
        await audit(admin, "decree_day_recorded", "Atw 3.3", f"decree-day/{record.day}", details)
    return f"{record.day} recorded as a holiday (Atw 3.3): cases started from now on count it"


async def decree_lines(settings: Settings) -> list[str]:
    migrate(settings.administration_url())
    async with administration(settings) as admin:
        recorded = {r.day: f"recorded: {r.source}" for r in await admin.decree_days()}
    shipped = {day: f"shipped: {source}" for day, source in DECREE_DAYS.items()}
    return [f"{day}  {text}" for day, text in sorted({**shipped, **recorded}.items())]
