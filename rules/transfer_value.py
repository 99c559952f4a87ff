"""The transfer value (overdrachtswaarde): Besluit 25 with 17e.6, shown on request (17e.7).

The value is at least the present value, on the transfer date, of the deferred old-age pension
from the pension date, at the standard tariff: market-value interest and a published mortality
table with an age set-back, no cost loading (Regeling Pensioenwet art. 18).

Method, written so a person can redo it:
- age x at the transfer date in years (days / 365.25), set back by the table's set-back;
- the pension is paid monthly in advance from the pension date, 1/12 of the annual amount a
  month, for life; survival between whole ages is linear (uniform deaths in a year);
- factor = sum over months m of 1/12 * l(x + t_m) / l(x) * (1 + i) ** -t_m, where t_m is the
  time in years from the transfer date to the m-th payment; i is the rate for the transfer
  date's calendar year;
- factor rounded to 6 decimals; value = annual pension * factor, rounded half up to cents.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from models.dates import LegalDate
from models.money import CENT, Money
from rules.basis import ActuarialBasis

DAYS_PER_YEAR = 365.25
FACTOR_PLACES = Decimal("0.000001")


def years_between(start: date, end: date) -> float:
    return (end - start).days / DAYS_PER_YEAR


class TransferValueStatement(BaseModel):
    """The calculation of a transfer value as Besluit 17e.7 lets a participant ask for it."""

    article: str = "Besluit 25, 17e.6, 17e.7"
    annual_pension: Money
    birth_date: LegalDate
    transfer_date: LegalDate
    pension_date: LegalDate
    age_at_transfer: Decimal
    age_setback: int
    years_to_pension: Decimal
    interest_rate: Decimal
    interest_basis: str
    mortality_table: str
    illustrative_basis: bool
    payment: str = "monthly in advance from the pension date, for life"
    factor: Decimal
    value: Money
    rounding: str = "factor to 6 decimals; value = annual pension x factor, rounded half up to cents"

    def lines(self) -> list[str]:
        """The statement as plain lines for a letter or a terminal."""
        lines = [
            f"Annual old-age pension:   EUR {self.annual_pension:.2f}",
            f"Transfer date:            {self.transfer_date} (payment date, Besluit 17e.6)",
            f"Pension date:             {self.pension_date}",
            f"Age at transfer:          {self.age_at_transfer} (birth date {self.birth_date}), "
            f"set back {self.age_setback} year(s)",
            f"Years to pension date:    {self.years_to_pension}",
            f"Interest:                 {self.interest_rate * 100:.2f}% a year ({self.interest_basis})",
            f"Mortality table:          {self.mortality_table}",
            f"Payment:                  {self.payment}",
            f"Factor:                   {self.factor}",
            f"Transfer value:           EUR {self.value:.2f}  ({self.rounding})",
        ]
        if self.illustrative_basis:
            lines.append("Note: computed on the illustrative basis shipped with wkp, not an official tariff.")
        return lines


def annuity_factor(age: float, years_to_pension: float, rate: float, basis: ActuarialBasis) -> float:
    table = basis.mortality
    alive_now = table.survivors(age)
    if alive_now <= 0:
        return 0.0
    factor, month = 0.0, 0
    while True:
        t = years_to_pension + month / 12
        alive = table.survivors(age + t)
        if alive <= 0:
            return factor
        factor += (alive / alive_now) * (1 + rate) ** -t / 12
        month += 1


def transfer_value(
    annual_pension: Decimal,
    birth_date: date,
    pension_date: date,
    transfer_date: date,
    basis: ActuarialBasis,
) -> TransferValueStatement:
    if not birth_date < transfer_date < pension_date:
        raise ValueError("transfer_date: must lie after the birth date and before the pension date")
    rate = basis.rates.rate_for(transfer_date.year)
    age = years_between(birth_date, transfer_date) - basis.mortality.age_setback
    deferral = years_between(transfer_date, pension_date)
    factor = Decimal(repr(annuity_factor(age, deferral, float(rate), basis))).quantize(FACTOR_PLACES, ROUND_HALF_UP)
    return TransferValueStatement(
        annual_pension=annual_pension,
        birth_date=birth_date,
        transfer_date=transfer_date,
        pension_date=pension_date,
        age_at_transfer=Decimal(repr(years_between(birth_date, transfer_date))).quantize(CENT, ROUND_HALF_UP),
        age_setback=basis.mortality.age_setback,
        years_to_pension=Decimal(repr(deferral)).quantize(CENT, ROUND_HALF_UP),
        interest_rate=rate,
        interest_basis=f"{basis.rates.name}: {basis.rates.rule}",
        mortality_table=basis.mortality.name,
        illustrative_basis=basis.mortality.illustrative or basis.rates.illustrative,
        factor=factor,
        value=(annual_pension * factor).quantize(CENT, ROUND_HALF_UP),
    )
