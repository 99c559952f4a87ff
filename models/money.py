"""Money: euros as Decimal with exactly two decimals, never float."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

CENT = Decimal("0.01")


def to_money(value: Any) -> Decimal:
    """Parse euros from a string, int, Decimal or JSON number; refuse what is not money.

    A float is accepted only through its shortest repr (312.4 -> "312.4"), so a JSON number
    keeps the value the author wrote. More than two decimals is refused, never rounded.
    """
    if isinstance(value, bool):
        raise ValueError("must be an amount in euros, not a boolean")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{value!r} is not an amount in euros") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount in euros")
    exponent = amount.as_tuple().exponent  # an int for a finite amount
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise ValueError(f"{value} has more than two decimals")
    if amount < 0:
        raise ValueError(f"{value} is negative")
    return amount.quantize(CENT)


def money_str(amount: Decimal) -> str:
    return f"{amount:.2f}"


Money = Annotated[
    Decimal,
    BeforeValidator(to_money),
    PlainSerializer(money_str, return_type=str, when_used="json"),
]
"""A non-negative euro amount with two decimals; serialises to JSON as a string ("2104.11")."""
