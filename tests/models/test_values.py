from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from models.bsn import Bsn, bsn_problem, mask_bsn
from models.dates import LegalDate
from models.events import CaseEvent, EventType
from models.money import Money

money = TypeAdapter(Money)
bsn = TypeAdapter(Bsn)
legal_date = TypeAdapter(LegalDate)


@pytest.mark.parametrize("raw", ["312.40", "312.4", 312.4, Decimal("312.40"), " 312.40 "])
def test_money_parses_to_two_decimals(raw):
    value = money.validate_python(raw)
    assert value == Decimal("312.40") and str(value) == "312.40"


def test_money_serialises_to_json_as_a_string():
    assert money.dump_json(Decimal("2104.1")) == b'"2104.10"'


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12.345", "more than two decimals"),
        ("abc", "not an amount"),
        ("-1.00", "negative"),
        ("NaN", "not an amount"),
        (True, "boolean"),
    ],
)
def test_money_refuses_what_is_not_money(raw, reason):
    with pytest.raises(ValidationError, match=reason):
        money.validate_python(raw)


@pytest.mark.parametrize("good", ["111222333", "123456782", "100000009"])
def test_bsn_passes_the_eleven_test(good):
    assert bsn.validate_python(good) == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("111222334", "eleven-test"),
        ("12345678", "9 digits"),
        ("1234567890", "9 digits"),
        ("12345678a", "9 digits"),
        ("000000000", "all zeros"),
    ],
)
def test_bad_bsn_is_refused(bad, reason):
    with pytest.raises(ValidationError, match=reason):
        bsn.validate_python(bad)


def test_bsn_as_a_number_is_refused_because_a_leading_zero_would_be_lost():
    with pytest.raises(ValidationError, match="string"):
        bsn.validate_python(111222333)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_exactly_one_check_digit_completes_any_eight_digits_unless_none_does(prefix):
    valid = [d for d in "0123456789" if bsn_problem(prefix + d) is None]
    assert len(valid) <= 1


def test_mask_shows_only_the_last_three_digits():
    assert mask_bsn("111222333") == "******333"


@pytest.mark.parametrize("bad", ["2021-02-30", "31-03-2021", "2021-3-31", 1617148800, "2021-03-31T00:00:00"])
def test_legal_dates_are_iso_calendar_dates_only(bad):
    with pytest.raises(ValidationError):
        legal_date.validate_python(bad)


def test_legal_date_accepts_iso():
    assert legal_date.validate_python("2024-02-29") == date(2024, 2, 29)


def test_events_need_the_fields_of_their_type():
    with pytest.raises(ValidationError, match="needs due, article, provider, amount, transfer_date"):
        CaseEvent(type=EventType.PAYMENT, date=date(2022, 4, 1))
    event = CaseEvent(
        type="register_query", date="2022-04-01", due="2022-04-01", article="17e.2", answer="accruing", provider="PF-B"
    )
    assert event.model_dump(mode="json", exclude_none=True) == {
        "type": "register_query",
        "date": "2022-04-01",
        "due": "2022-04-01",
        "article": "17e.2",
        "answer": "accruing",
        "provider": "PF-B",
    }


def test_money_from_a_whole_number():
    assert str(money.validate_python(312)) == "312.00"
