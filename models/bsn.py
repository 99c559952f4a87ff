"""The citizen service number (burgerservicenummer, BSN) and how it may be shown."""

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def bsn_problem(value: str) -> str | None:
    """Why `value` is not a valid BSN, or None when it is.

    The eleven-test (elfproef): 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11.
    """
    if len(value) != 9 or not value.isdigit() or not value.isascii():
        return "must be exactly 9 digits"
    if value == "000000000":
        return "is not a citizen service number (all zeros)"
    total = sum(int(digit) * weight for digit, weight in zip(value, WEIGHTS, strict=True))
    if total % 11 != 0:
        return "fails the eleven-test (elfproef)"
    return None


def to_bsn(value: Any) -> str:
    if not isinstance(value, str):
        # An int would lose a leading zero; demand the string the register uses.
        raise ValueError("must be a string of 9 digits")
    problem = bsn_problem(value.strip())
    if problem:
        raise ValueError(problem)
    return value.strip()


def mask_bsn(bsn: str) -> str:
    """What logs and reports may show of a BSN: the last three digits only."""
    return "******" + bsn[-3:] if len(bsn) >= 3 else "*" * len(bsn)


# Nine digits, also as written on letters and passes (123.456.782, 123 456 782).
NINE_DIGITS = re.compile(r"(?<!\d)\d{3}[. ]?\d{3}[. ]?\d{3}(?!\d)")


def _masked(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return mask_bsn(digits) if bsn_problem(digits) is None else match.group()


def mask_text(text: str) -> str:
    """`text` with every number that passes the BSN eleven-test masked (the last three digits
    kept): the safety net of logs, error lines and reject files."""
    return NINE_DIGITS.sub(_masked, text)


Bsn = Annotated[str, BeforeValidator(to_bsn)]
"""A BSN that passed the eleven-test. Never log it: use `mask_bsn`."""
