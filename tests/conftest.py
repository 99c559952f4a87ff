from datetime import date

import pytest

from models.case import PensionCase
from rules.basis import ActuarialBasis, load_basis
from codec.converter import encrypted_converter
from codec.encryption import KeyRing


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


# A fixed payload key for tests and the golden histories (test data only; never a real key).
TEST_KEY_RING = KeyRing({"test-1": bytes(range(32))}, "test-1")
TEST_CONVERTER = encrypted_converter(TEST_KEY_RING)
TEST_PAYLOAD_KEYS = TEST_KEY_RING.to_json()  # as WKP_PAYLOAD_KEYS for worker and CLI processes
