"""Money: euros as Decimal with exactly two decimals, never float."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

CENT = Decimal("0.01")
# No small pension, threshold, transfer value or buy-out comes near this; a larger amount is a typo or an attack.
MOST = Decimal("100000000.00")


def to_money(value: Any) -> Decimal:
    """Parse euros from a string, int, Decimal or JSON number; refuse what is not money.

    A float is accepted only through its shortest repr (312.4 -> "312.4"), so a JSON number
    keeps the value the author wrote. More than two decimals is refused, never rounded; so are
    exponent forms (1e3), signs (-0.00 too) and amounts of a hundred million or more. A refusal never
    repeats the value: it may be personal data in a wrong column.
    """
    if isinstance(value, bool):
        raise ValueError("must be an amount in euros, not a boolean")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip()
        if any(sign in value for sign in "eE"):
            raise ValueError("must be written as digits with at most two decimals (no exponent)")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("is not an amount in euros") from None
    if not amount.is_finite():
        raise ValueError("is not an amount in euros")
    if amount.is_signed():
        raise ValueError("must not be negative (nor carry a minus sign)")
    if amount >= MOST:
        raise ValueError("is implausibly large (a hundred million euros or more)")
    exponent = amount.as_tuple().exponent  # an int for a finite amount
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise ValueError("has more than two decimals")
    return amount.quantize(CENT)


def money_str(amount: Decimal) -> str:
    return f"{amount:.2f}"


Money = Annotated[
    Decimal,
    BeforeValidator(to_money),
    PlainSerializer(money_str, return_type=str, when_used="json"),
]
"""A non-negative euro amount with two decimals; serialises to JSON as a string ("2104.11")."""
