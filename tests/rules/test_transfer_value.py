from datetime import date
from decimal import Decimal

import pytest

from rules.basis import DiscountRates, MortalityTable
from rules.transfer_value import annuity_factor, transfer_value


def test_statement_is_reproducible_by_hand(basis):
    statement = transfer_value(Decimal("312.40"), date(1985, 2, 14), date(2052, 2, 14), date(2022, 4, 1), basis)
    assert statement.interest_rate == Decimal("0.006")  # the 2022 rate: 0.60%
    assert statement.value == (statement.annual_pension * statement.factor).quantize(Decimal("0.01"))
    assert statement.factor == statement.factor.quantize(Decimal("0.000001"))
    assert statement.illustrative_basis
    assert statement.transfer_date == date(2022, 4, 1)
    assert any("illustrative" in line for line in statement.lines())


def test_value_falls_with_higher_interest_and_later_pension_date(basis):
    args = (Decimal("400.00"), date(1980, 1, 1))
    low_rate = transfer_value(*args, date(2047, 1, 1), date(2021, 6, 1), basis)  # 0.10%
    high_rate = transfer_value(*args, date(2047, 1, 1), date(2023, 6, 1), basis)  # 2.80%
    assert high_rate.value < low_rate.value
    later = transfer_value(*args, date(2050, 1, 1), date(2021, 6, 1), basis)
    assert later.value < low_rate.value


def test_without_interest_and_mortality_the_factor_is_the_number_of_payment_years(basis):
    # Nobody dies before 100, everybody during the year of age 100: 35 full years from 65, and in
    # the last year survival falls linearly, so month m of it pays (1 - m/12): 6.5/12 more.
    qx = [Decimal(0)] * 100 + [Decimal(1)] * 21
    immortal = MortalityTable(name="T", source="test", illustrative=True, age_setback=0, qx=qx)
    factor = annuity_factor(30.0, 35.0, 0.0, basis.model_copy(update={"mortality": immortal}))
    assert factor == pytest.approx(35 + 6.5 / 12, abs=1e-9)


def test_a_year_without_a_rate_is_a_clear_error(basis):
    rates = DiscountRates(name="R", source="test", illustrative=True, rule="r", percent_per_year={2022: Decimal("1")})
    with pytest.raises(LookupError, match="no discount rate for 2023"):
        transfer_value(
            Decimal("100"),
            date(1980, 1, 1),
            date(2047, 1, 1),
            date(2023, 1, 2),
            basis.model_copy(update={"rates": rates}),
        )


def test_transfer_date_must_lie_before_the_pension_date(basis):
    with pytest.raises(ValueError, match="transfer_date"):
        transfer_value(Decimal("100"), date(1980, 1, 1), date(2047, 1, 1), date(2047, 1, 1), basis)


def test_mortality_table_must_close_at_120():
    with pytest.raises(ValueError, match="must be 1"):
        MortalityTable(name="T", source="s", illustrative=True, age_setback=0, qx=[Decimal("0.5")] * 121)
