from datetime import date
from decimal import Decimal

import pytest

from models.provider import ProviderKind
from rules.suspension import check_transfer, ratio_month

RATIOS = {
    ("PF-A", "2022-09"): Decimal("0.97"),
    ("PF-A", "2022-10"): Decimal("1.02"),
    ("PF-B", "2022-10"): Decimal("0.99"),
}


def lookup(provider: str, month: str) -> Decimal | None:
    return RATIOS.get((provider, month))


def test_the_ratio_of_the_previous_month_end_governs_the_whole_month():
    assert ratio_month(date(2022, 10, 1)) == "2022-09"
    assert ratio_month(date(2022, 10, 31)) == "2022-09"
    assert ratio_month(date(2023, 1, 15)) == "2022-12"


def test_transferring_fund_below_100_percent_suspends_until_next_month():
    check = check_transfer(
        date(2022, 10, 12), [("PF-A", ProviderKind.FUND), ("PF-C", ProviderKind.INSURER)], lookup, Decimal("1.10")
    )
    assert not check.allowed
    assert check.blocking_provider == "PF-A" and check.ratio == Decimal("0.97")
    assert check.recheck_on == date(2022, 11, 1)


def test_receiving_fund_below_100_percent_also_suspends():
    check = check_transfer(
        date(2022, 11, 1), [("PF-A", ProviderKind.FUND), ("PF-B", ProviderKind.FUND)], lookup, Decimal("1.10")
    )
    assert not check.allowed and check.blocking_provider == "PF-B"


def test_exactly_100_percent_does_not_suspend():
    check = check_transfer(date(2022, 11, 1), [("X", ProviderKind.FUND)], lambda p, m: Decimal("1.00"))
    assert check.allowed


def test_insurers_and_ppis_have_no_funding_ratio():
    check = check_transfer(date(2022, 10, 12), [("PF-A", ProviderKind.INSURER), ("PF-B", ProviderKind.PPI)], lookup)
    assert check.allowed


def test_unknown_ratio_without_default_is_an_error():
    with pytest.raises(LookupError, match=r"funding_ratios\.PF-Z\.2022-09"):
        check_transfer(date(2022, 10, 12), [("PF-Z", ProviderKind.FUND)], lookup)
