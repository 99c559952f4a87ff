"""How a payment's try ends tells the case whether the provider may have taken it: only an answer
that it did not (unreachable before the request left, 429/503, a refused request) lets the case
pay anew with a new key; a lost answer makes it ask again under the same key. The case's steps
that led to the payment are written with the provider's answer, in the booking's transaction."""

from datetime import date
from decimal import Decimal

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.transfer import TransferActivities
from models.ledger import AuditStep
from models.steps import (
    PAYMENT_REJECTED,
    PAYMENT_UNANSWERED,
    PROVIDER_UNAVAILABLE,
    CaseProgress,
    PayTransferInput,
)
from register_client.http import JsonAnswer, NoAnswer, NotSent
from store.repository import Administration
from tests.conftest import make_case, nth_bsn, sqlite_administration
from workflows.steps import PAYMENT_NOT_TAKEN

STEP = AuditStep(
    idempotency_key="wkp-out-PF-A-P-1/event-1",
    subject_id="P-1",
    step="register_query",
    article="17e.1",
    due=date(2022, 3, 31),
    actual=date(2022, 4, 4),
    details={"provider": "PF-B"},
)
PAYMENT = PayTransferInput(
    idempotency_key="wkp-out-PF-A-P-1/transfer-1",
    case_id="P-1",
    from_provider="PF-A",
    receiving_provider="PF-B",
    client_number="",
    bsn=nth_bsn(1),
    birth_date=date(1980, 1, 1),
    amount=Decimal("123.45"),
    transfer_date=date(2022, 4, 4),
    progress=CaseProgress(steps=[STEP]),
)


class Provider:
    """The providers' HTTP client as the payment sees it: an answer, or one of the two ways a
    request fails (register_client/http.py sorts real socket failures into them, tested there
    against real sockets)."""

    def __init__(self, status: int = 200, body: bytes = b'{"status": "accepted", "receipt_id": "R-1"}', error=None):
        self.status, self.body, self.error = status, body, error

    async def post(self, path: str, body, headers=None) -> JsonAnswer:
        if self.error:
            raise self.error("simulated")
        return JsonAnswer(self.status, "", CIMultiDictProxy(CIMultiDict()), self.body)

    async def close(self) -> None:
        pass


def answer(status: int) -> Provider:
    return Provider(status)


def fail_with(error: type[Exception]) -> Provider:
    return Provider(error=error)


@pytest.fixture
async def admin(tmp_path):
    admin = sqlite_administration(tmp_path)
    await admin.add_case(make_case(case_id="P-1", bsn=PAYMENT.bsn))  # a payment is booked on its case
    yield admin
    await admin.close()


def paying_through(admin: Administration, basis, provider: Provider) -> TransferActivities:
    activities = TransferActivities(admin, register=None, providers_url="http://provider.test", basis=basis)
    activities.providers = provider  # type: ignore[assignment]
    return activities


@pytest.mark.parametrize(
    ("provider", "kind"),
    [
        (fail_with(NotSent), PROVIDER_UNAVAILABLE),
        (answer(503), PROVIDER_UNAVAILABLE),
        (answer(429), PROVIDER_UNAVAILABLE),
        (answer(404), PAYMENT_REJECTED),
        (answer(422), PAYMENT_REJECTED),
        (fail_with(NoAnswer), PAYMENT_UNANSWERED),
        (answer(500), PAYMENT_UNANSWERED),
        (answer(504), PAYMENT_UNANSWERED),
    ],
    ids=["not-sent", "503", "429", "404", "422", "no-answer", "500", "504"],
)
async def test_a_failed_try_says_whether_the_provider_may_have_taken_the_payment(admin, basis, provider, kind):
    activities = paying_through(admin, basis, provider)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(activities.pay_transfer_value, PAYMENT)
    assert raised.value.type == kind
    assert (kind in PAYMENT_NOT_TAKEN) is (kind != PAYMENT_UNANSWERED)
    assert PAYMENT.bsn not in str(raised.value)
    # Nothing is written by a failed try: the case keeps the steps and writes them next.
    assert await admin.audit_trail("P-1") == []
    assert await admin.payments_for_case("P-1") == []


async def test_a_refused_payment_writes_the_steps_that_led_to_it_and_books_nothing(admin, basis):
    refuse = Provider(200, b'{"status": "refused", "reason": "no small pensions"}')

    outcome = await ActivityEnvironment().run(paying_through(admin, basis, refuse).pay_transfer_value, PAYMENT)
    assert not outcome.accepted
    assert [step.step for step in await admin.audit_trail("P-1")] == ["register_query"]
    assert await admin.payments_for_case("P-1") == []


async def test_an_accepted_payment_is_booked_once_with_the_steps_that_led_to_it_however_often_it_is_sent(admin, basis):
    activities = paying_through(admin, basis, answer(200))
    for _ in range(2):  # a retry after a lost completion sends the same input again
        outcome = await ActivityEnvironment().run(activities.pay_transfer_value, PAYMENT)
        assert outcome.accepted
    assert [step.step for step in await admin.audit_trail("P-1")] == ["register_query"]
    [booked] = await admin.payments_for_case("P-1")
    assert (booked.amount, booked.transfer_date) == (Decimal("123.45"), date(2022, 4, 4))
