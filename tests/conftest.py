from datetime import date

import pytest

from models.case import PensionCase
from rules.basis import ActuarialBasis, load_basis


def nth_bsn(n: int) -> str:
    """The n-th valid BSN in a deterministic series (test data)."""
    from models.bsn import bsn_problem

    prefix = 20_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def make_case(**overrides) -> PensionCase:
    """A valid new-regime case; override any field."""
    fields = {
        "case_id": "C-1",
        "bsn": "111222333",
        "birth_date": date(1985, 2, 14),
        "participation_end": date(2021, 3, 31),
        "pension_date": date(2052, 2, 14),
        "old_age_pension": "312.40",
    }
    fields.update(overrides)
    return PensionCase.model_validate(fields)


@pytest.fixture(scope="session")
def basis() -> ActuarialBasis:
    return load_basis()
