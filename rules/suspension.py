"""Suspension of transfers while a fund is under-funded (PW 72, Besluit 23a; RULES.md §6)."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from models.provider import ProviderKind
from rules.calendar import first_of_next_month

MINIMUM_RATIO = Decimal("1.00")  # a policy funding ratio below 100% suspends

# (provider id, "YYYY-MM") -> month-end policy funding ratio, or None when none is known.
RatioLookup = Callable[[str, str], Decimal | None]


def ratio_month(on: date) -> str:
    """Besluit 23a.1: determined on the first day of each month from the ratio on the last day
    of the previous month. The month whose month-end ratio governs `on`."""
    previous_month_end = on.replace(day=1) - timedelta(days=1)
    return previous_month_end.strftime("%Y-%m")


class SuspensionCheck(BaseModel):
    allowed: bool
    blocking_provider: str | None = None
    ratio: Decimal | None = None
    ratio_month: str
    recheck_on: date | None = None  # when suspended: the first day of the next month
    # Operator data the check could not do without: one line naming it (the case waits for it).
    missing: str | None = None
    missing_kind: str | None = None  # "funding_ratio" | "provider"


def check_transfer(
    on: date,
    parties: list[tuple[str, ProviderKind]],
    lookup: RatioLookup,
    default_ratio: Decimal | None = None,
) -> SuspensionCheck:
    """May a transfer between `parties` (transferring and receiving) happen on `on`?

    Only a fund has a funding ratio; an insurer or PPI never suspends. A fund whose ratio is
    unknown uses `default_ratio`; with no default it is an error, never a guess.
    """
    month = ratio_month(on)
    for provider, kind in parties:
        if kind is not ProviderKind.FUND:
            continue
        ratio = lookup(provider, month)
        if ratio is None:
            if default_ratio is None:
                raise LookupError(f"funding_ratios.{provider}.{month}: no policy funding ratio known (PW 72)")
            ratio = default_ratio
        if ratio < MINIMUM_RATIO:
            return SuspensionCheck(
                allowed=False,
                blocking_provider=provider,
                ratio=ratio,
                ratio_month=month,
                recheck_on=first_of_next_month(on),
            )
    return SuspensionCheck(allowed=True, ratio_month=month)
