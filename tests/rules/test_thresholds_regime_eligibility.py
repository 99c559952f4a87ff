from datetime import date
from decimal import Decimal

import pytest

from rules.eligibility import IneligibleReason, Verdict, assess
from rules.regime import Regime, first_query_article, first_query_due, next_query_due, regime_for, regime_period
from rules.thresholds import (
    STATUTORY_SOURCES,
    STATUTORY_THRESHOLDS,
    MissingThreshold,
    ThresholdTable,
    below_statutory,
)
from tests.conftest import make_case

table = ThresholdTable()


def test_statutory_thresholds_from_the_rulebook():
    assert table.for_year(2015) == Decimal("462.88")
    assert table.for_year(2021) == Decimal("503.24")
    assert table.for_year(2024) == Decimal("592.51")
    assert table.for_year(2025) == Decimal("613.52")
    assert set(STATUTORY_SOURCES) == set(STATUTORY_THRESHOLDS)  # every shipped amount has its source


def test_a_year_without_threshold_is_a_clear_error_never_a_guess():
    with pytest.raises(MissingThreshold, match="2026.*wkp admin threshold set 2026"):
        table.for_year(2026)
    with pytest.raises(MissingThreshold, match="2014"):
        table.for_year(2014)


def test_configuration_extends_the_table():
    extended = ThresholdTable({2026: Decimal("640.00")})
    assert extended.for_year(2026) == Decimal("640.00")
    assert extended.for_year(2024) == Decimal("592.51")
    assert below_statutory(2025, Decimal("613.51")) and below_statutory(2025, Decimal("613.52")) is None
    assert below_statutory(2026, Decimal("1.00")) is None  # no statutory amount to be below


def test_configuration_may_not_lower_a_statutory_threshold():
    with pytest.raises(ValueError, match=r"thresholds\.2023: .*below the statutory"):
        ThresholdTable({2023: Decimal("500.00")})


def test_small_means_strictly_less_than_the_threshold_of_the_end_year():
    end = date(2021, 6, 30)
    assert table.is_small(Decimal("503.23"), end)
    assert not table.is_small(Decimal("503.24"), end)  # exactly equal is not small


@pytest.mark.parametrize(
    ("end", "regime", "due", "article"),
    [
        (date(2016, 12, 31), Regime.EXISTING, None, "17f.3"),
        (date(2017, 1, 1), Regime.TRANSITIONAL, date(2019, 12, 31), "56.2"),
        (date(2018, 12, 31), Regime.TRANSITIONAL, date(2019, 12, 31), "56.2"),
        (date(2019, 1, 1), Regime.NEW, date(2020, 1, 1), "17e.1"),
        (date(2021, 3, 31), Regime.NEW, date(2022, 3, 31), "17e.1"),
        (date(2020, 2, 29), Regime.NEW, date(2021, 2, 28), "17e.1"),  # leap day
    ],
)
def test_regime_and_first_query_due(end, regime, due, article):
    assert regime_for(end) is regime
    assert first_query_due(end) == due
    assert first_query_article(regime) == article
    start, before = regime_period(regime)  # the cohort a wave selects holds exactly this case's regime
    assert (start is None or start <= end) and (before is None or end < before)


def test_the_query_is_repeated_at_least_yearly():
    assert next_query_due(date(2022, 4, 1)) == date(2023, 4, 1)


@pytest.mark.parametrize(
    ("pension", "emigrated", "net", "verdict", "reason", "article"),
    [
        ("2.00", False, False, Verdict.LAPSED, None, "55.6"),
        ("2.01", False, False, Verdict.ELIGIBLE, None, "70a"),
        ("0.00", False, False, Verdict.LAPSED, None, "55.6"),
        ("1.50", True, False, Verdict.ELIGIBLE, None, "70a"),  # moved to another EU state and said so
        ("300.00", False, True, Verdict.NOT_ELIGIBLE, IneligibleReason.NET_PENSION, "70a"),
        ("503.23", False, False, Verdict.ELIGIBLE, None, "70a"),
        ("503.24", False, False, Verdict.NOT_ELIGIBLE, IneligibleReason.ABOVE_THRESHOLD, "70a"),
        ("650.00", False, False, Verdict.NOT_ELIGIBLE, IneligibleReason.ABOVE_THRESHOLD, "70a"),
    ],
)
def test_eligibility(pension, emigrated, net, verdict, reason, article):
    case = make_case(old_age_pension=pension, emigrated_eu_notified=emigrated, net_pension=net)
    result = assess(case, table)
    assert (result.verdict, result.reason, result.article) == (verdict, reason, article)
    assert result.threshold == Decimal("503.24") and result.threshold_year == 2021


def test_eligibility_uses_the_threshold_of_the_year_participation_ended():
    # 590.00 is below 2023's 594.89 but above 2022's 520.35.
    assert (
        assess(make_case(participation_end=date(2023, 1, 31), old_age_pension="590.00"), table).verdict
        is Verdict.ELIGIBLE
    )
    assert (
        assess(make_case(participation_end=date(2022, 12, 31), old_age_pension="590.00"), table).verdict
        is Verdict.NOT_ELIGIBLE
    )


def test_eligibility_with_a_missing_threshold_fails_loudly():
    with pytest.raises(MissingThreshold):
        assess(make_case(participation_end=date(2026, 5, 31)), table)
