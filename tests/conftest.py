from datetime import date

import pytest

from models.case import PensionCase
from rules.basis import ActuarialBasis, load_basis


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
