"""Choosing the afkoopvoet for a buy-out and the afkoopwaarde it gives (Besluit 16, RULES.md §7).

The amount is the factor in force on the payment date, for the participant's age in whole years
on that date, times the annual old-age pension, rounded half up to cents. No period covering the
date: no amount (the case waits for an operator to record one; it never guesses).
"""

import json
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

from models.afkoopvoet import AfkoopvoetAnswer, AfkoopvoetPeriod
from models.money import CENT

ILLUSTRATIVE_FILE = "afkoopvoet_illustrative.json"


def covering(periods: Iterable[AfkoopvoetPeriod], on: date) -> AfkoopvoetPeriod | None:
    """The period in force on `on`: the latest one begun by then and not ended before it."""
    begun = [p for p in periods if p.valid_from <= on and (p.valid_to is None or on <= p.valid_to)]
    return max(begun, key=lambda p: p.valid_from, default=None)


def look_up(periods: Iterable[AfkoopvoetPeriod], on: date, age: int) -> AfkoopvoetAnswer:
    period = covering(periods, on)
    factor = None if period is None else period.factor(age)
    if period is None or factor is None:
        return AfkoopvoetAnswer(on=on, age=age)
    return AfkoopvoetAnswer(
        on=on,
        age=age,
        factor=factor,
        source=period.source,
        valid_from=period.valid_from,
        illustrative=period.illustrative,
    )


def afkoopwaarde(annual_pension: Decimal, factor: Decimal) -> Decimal:
    return (annual_pension * factor).quantize(CENT, ROUND_HALF_UP)


def load_periods(path: Path | None = None) -> list[AfkoopvoetPeriod]:
    """A configured afkoopvoet file (a JSON list of periods); the shipped illustrative one by default."""
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("rules").joinpath("data", ILLUSTRATIVE_FILE).read_text(encoding="utf-8")
    )
    return [AfkoopvoetPeriod.model_validate(item) for item in json.loads(text)]
