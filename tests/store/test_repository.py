import asyncio
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from letters.render import render_letter
from models.ids import case_workflow_id, incoming_workflow_id
from models.ledger import (
    ApplyIncoming,
    AuditStep,
    CaseProjection,
    DecreeDayRecord,
    LetterKind,
    LetterRequest,
    PaymentBooking,
    PaymentKind,
    ProviderRecord,
    ReceiptBooking,
    ThresholdRecord,
)
from store.repository import IdempotencyConflict, NotFound
from store.schema import Participant, Payment
from tests.conftest import make_case


async def add_case(admin, **overrides):
    case = make_case(**overrides)
    assert await admin.add_case(case)
    assert not await admin.add_case(case)  # a second registration changes nothing
    return case


PAY_KEY = case_workflow_id("PF-A", "C-1") + "/pay/1"


def payment(key=PAY_KEY, amount="3896.78") -> PaymentBooking:
    return PaymentBooking(
        idempotency_key=key,
        case_id="C-1",
        kind=PaymentKind.TRANSFER,
        counterparty="PF-B",
        amount=amount,
        transfer_date=date(2022, 4, 1),
    )


async def payment_rows(admin) -> list[tuple[str, Decimal]]:
    async with admin.transaction() as session:
        return [(row.idempotency_key, row.amount) for row in (await session.execute(select(Payment))).scalars()]


async def test_load_case_round_trips_the_entitlement(admin):
    case = await add_case(admin)
    assert await admin.load_case("C-1") == case
    assert await admin.case_ids_for_bsn("111222333") == ["C-1"]
    with pytest.raises(NotFound, match="case_id: no case 'C-9'"):
        await admin.load_case("C-9")


async def test_booking_twice_returns_the_first_booking(admin):
    await add_case(admin)
    first = await admin.book_payment(payment())
    again = await admin.book_payment(payment())
    assert first.created and not again.created and first.id == again.id
    assert await payment_rows(admin) == [(case_workflow_id("PF-A", "C-1") + "/pay/1", Decimal("3896.78"))]


async def test_same_key_for_another_payment_is_refused(admin):
    await add_case(admin)
    await admin.book_payment(payment())
    with pytest.raises(IdempotencyConflict, match="idempotency_key"):
        await admin.book_payment(payment(amount="1.00"))
    assert len(await payment_rows(admin)) == 1


async def test_concurrent_bookings_of_one_key_make_one_row(admin):
    await add_case(admin)
    results = await asyncio.gather(*(admin.book_payment(payment()) for _ in range(12)))
    assert sum(result.created for result in results) == 1
    assert {result.id for result in results} == {results[0].id}
    assert await payment_rows(admin) == [(case_workflow_id("PF-A", "C-1") + "/pay/1", Decimal("3896.78"))]


async def test_a_crash_between_booking_and_commit_books_nothing_and_the_retry_books_once(
    admin, database_url, bsn_key_b64
):
    """A separate process books the payment inside a transaction and dies (os._exit) before
    committing; the retry books it exactly once."""
    await add_case(admin)
    crash = textwrap.dedent(
        f"""
        import asyncio, os
        from datetime import date
        from sqlalchemy.dialects import postgresql, sqlite
        from store.database import make_async_engine
        from store.schema import Participant, Payment

        async def main():
            engine = make_async_engine({database_url!r})
            dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
            async with engine.connect() as connection:
                await connection.begin()
                await connection.execute(dialect.insert(Payment.__table__).values(
                    idempotency_key={PAY_KEY!r}, case_id="C-1", kind="transfer",
                    counterparty="PF-B", amount="3896.78", transfer_date=date(2022, 4, 1)))
                os._exit(9)  # the process dies: no commit, no rollback, no clean close

        asyncio.run(main())
        """
    )
    await crash_then_retry_books_once(admin, crash)


async def crash_then_retry_books_once(admin, crash: str) -> None:
    """Run `crash` in a process of its own, which dies (exit 9) before its booking commits; then
    nothing is booked, and two retries at once book the payment once."""
    died = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True, timeout=60)
    assert died.returncode == 9, died.stderr
    assert await payment_rows(admin) == []
    retried = await asyncio.gather(admin.book_payment(payment()), admin.book_payment(payment()))
    assert sorted(booked.created for booked in retried) == [False, True]
    assert await payment_rows(admin) == [(PAY_KEY, Decimal("3896.78"))]


async def test_receipt_is_booked_once_and_applied_once(admin):
    receipt = ReceiptBooking(
        idempotency_key=incoming_workflow_id("PF-A", "IN-1") + "/receipt",
        transfer_id="IN-1",
        from_provider="PF-C",
        bsn="123456782",
        birth_date=date(1990, 7, 1),
        amount="2345.67",
        received=date(2022, 1, 31),
    )
    first, again = await admin.book_receipt(receipt), await admin.book_receipt(receipt)
    assert first.created and not again.created and first.id == again.id
    application = ApplyIncoming(
        idempotency_key=receipt.idempotency_key, applied_on=date(2022, 2, 28), rights_annual_pension="151.20"
    )
    applied = await asyncio.gather(*(admin.apply_incoming(application) for _ in range(5)))
    assert sum(a.created for a in applied) == 1
    assert applied[0].applied_on == date(2022, 2, 28) and applied[0].rights_annual_pension == Decimal("151.20")
    with pytest.raises(IdempotencyConflict, match="applied before"):
        await admin.apply_incoming(application.model_copy(update={"rights_annual_pension": Decimal("99.00")}))
    with pytest.raises(NotFound):
        await admin.apply_incoming(application.model_copy(update={"idempotency_key": "nope"}))


async def test_letters_are_rendered_queued_once_and_cite_their_article(admin):
    request = LetterRequest(
        idempotency_key=incoming_workflow_id("PF-A", "IN-1") + "/letter",
        subject_id="IN-1",
        kind=LetterKind.TRANSFER_APPLIED,
        due=date(2022, 3, 14),
        context={
            "transfer_id": "IN-1",
            "received": "2022-01-31",
            "from_provider": "PF-C",
            "amount": "2345.67",
            "applied_on": "2022-02-28",
            "rights_annual_pension": "151.20",
            "provider": "PF-A",
        },
    )
    body = render_letter(request.kind, request.context)
    first, again = await admin.queue_letter(request, body), await admin.queue_letter(request, body)
    assert first.created and not again.created
    assert first.article == "17e.5" and "artikel 17e, vijfde lid" in first.body and "€ 2.345,67" in first.body
    assert [letter.id for letter in await admin.letters_for("IN-1")] == [first.id]


async def test_audit_log_is_append_only_and_idempotent(admin):
    step = AuditStep(
        idempotency_key=case_workflow_id("PF-A", "C-1") + "/query/1",
        subject_id="C-1",
        step="register_query",
        article="17e.1",
        due=date(2022, 3, 31),
        actual=date(2021, 4, 1),
        details={"answer": "not_accruing"},
    )
    first = await admin.record_audit_step(step)
    assert await admin.record_audit_step(step) == first
    assert await admin.audit_trail("C-1") == [step]
    with pytest.raises(Exception, match="append-only"):
        async with admin.transaction() as session:
            await session.execute(text("UPDATE audit_log SET article = '17e.2'"))
    with pytest.raises(Exception, match="append-only"):
        async with admin.transaction() as session:
            await session.execute(text("DELETE FROM audit_log"))
    assert await admin.audit_trail("C-1") == [step]


async def test_a_cycles_steps_and_calculations_are_written_once_in_one_write_however_often_repeated(admin):
    """record_progress writes a flush's steps in one statement: a repeat (a retried activity)
    and forty concurrent writes of other cases change nothing twice and lose nothing."""
    await add_case(admin)
    steps = [
        AuditStep(
            idempotency_key=f"{case_workflow_id('PF-A', 'C-1')}/event/{n}",
            subject_id="C-1",
            step=step,
            article="17e.1",
            due=None,
            actual=date(2022, 4, 1),
            details={"n": n},
        )
        for n, step in enumerate(["register_query", "deadline_breached", "transfer_failed"], start=1)
    ]
    statement = ("C-1", date(2022, 4, 1), {"value": "3896.78"})
    for _ in range(2):
        await admin.record_progress(steps, None, [statement])
    others = [
        step.model_copy(update={"idempotency_key": f"other/{n}", "subject_id": f"O-{n}"})
        for n in range(40)
        for step in steps[:1]
    ]
    await asyncio.gather(*(admin.record_progress([step], None) for step in others))
    assert await admin.audit_trail("C-1") == steps
    assert await admin.statements_for("C-1") == [{"value": "3896.78"}]
    assert len(await admin.audit_steps_of([f"O-{n}" for n in range(40)])) == 40


async def test_providers_funding_ratios_and_case_projection(admin):
    await admin.upsert_provider(ProviderRecord(id="PF-B", kind="fund", bank_account="NL91ABNA0417164300"))
    await admin.set_funding_ratio("PF-B", "2022-09", Decimal("0.9712"))
    await admin.set_funding_ratio("PF-B", "2022-09", Decimal("0.9750"))
    assert await admin.funding_ratio("PF-B", "2022-09") == Decimal("0.9750")
    assert await admin.funding_ratio("PF-B", "2022-10") is None
    assert (await admin.provider("PF-B")).bank_account == "NL91ABNA0417164300"
    with pytest.raises(NotFound, match="provider: unknown provider 'PF-X'"):
        await admin.provider("PF-X")

    # What a funding check reads, in one transaction: the known providers and their month's ratios.
    await admin.upsert_provider(ProviderRecord(id="PF-C", kind="insurer"))
    known, ratios = await admin.funding_parties(["PF-B", "PF-C", "PF-X"], "2022-09")
    assert sorted(known) == ["PF-B", "PF-C"] and known["PF-C"].kind == "insurer"
    assert ratios == {"PF-B": Decimal("0.9750")}
    assert (await admin.funding_parties(["PF-B"], "2022-10"))[1] == {}

    await add_case(admin)
    projection = CaseProjection(
        case_id="C-1", regime="17e", status="awaiting_query", next_due=date(2022, 3, 31), next_due_article="17e.1"
    )
    await admin.save_case_projection(projection)
    await admin.save_case_projection(projection.model_copy(update={"status": "transferred", "outcome": "transferred"}))
    stored = await admin.case_projection("C-1")
    assert stored.status == "transferred" and stored.next_due == date(2022, 3, 31)


async def test_a_waves_busy_cases_are_those_up_to_its_cursor_whose_row_is_not_settled(admin):
    """A wave counts as busy the cases it handled (up to its cursor) whose reporting row says they
    are not settled: opened when the wave starts them, until they settle. Opening never replaces
    the row of a case that has one (a case that ran before, waiting for its year)."""
    for case_id in ["W-0", "W-1", "W-2", "W-3", "W-4", "X-1"]:
        await add_case(admin, case_id=case_id)
    await admin.define_wave("W1", ["W-0", "W-1", "W-2", "W-3", "W-4"])
    await admin.define_wave("W2", ["X-1"])
    waiting = CaseProjection(case_id="W-0", regime="17e", status="awaiting_query", settled=True)
    await admin.save_case_projection(waiting)
    opened = [
        CaseProjection(case_id=case_id, regime="17e", status="awaiting_query")
        for case_id in ["W-0", "W-1", "W-2", "W-3", "X-1"]
    ]
    await admin.open_cases(opened)
    await admin.open_cases(opened)  # a retried start step changes nothing
    await admin.open_cases([])
    assert await admin.case_projection("W-0") == waiting
    assert await admin.wave_busy("W1", "W-3") == 3  # W-1 to W-3; X-1 is another wave's
    assert await admin.wave_busy("W1", "W-1") == 1  # the wave's cursor bounds the count
    closed = opened[2].model_copy(update={"status": "closed", "outcome": "transferred", "settled": True})
    await admin.save_case_projection(closed)
    assert await admin.wave_busy("W1", "W-3") == 2
    assert await admin.wave_settled("W1", "W-3") == 2  # the count that reads every handled case


async def test_money_is_exact_on_every_engine(admin):
    await add_case(admin, old_age_pension="0.10")
    for i, amount in enumerate(["0.10", "0.20", "99999999.99"]):
        await admin.book_payment(payment(key=f"k{i}", amount=amount))
    rows = await payment_rows(admin)
    assert sum(amount for _, amount in rows) == Decimal("100000000.29")
    assert (await admin.load_case("C-1")).old_age_pension == Decimal("0.10")


async def test_no_bsn_in_clear_text_in_any_row(admin):
    await add_case(admin)
    async with admin.transaction() as session:
        rows = []
        for table in ("participants", "entitlements"):
            rows += (await session.execute(text(f"SELECT * FROM {table}"))).all()
        participants = (await session.execute(select(func.count()).select_from(Participant))).scalar_one()
    assert participants == 1 and len(rows) == 2
    assert "111222333" not in " ".join(map(str, rows))


async def test_concurrent_claims_of_the_days_register_queries_never_exceed_the_capacity(admin):
    day = date(2026, 11, 23)
    claims = await asyncio.gather(*(admin.take_register_query(day, 7) for _ in range(20)))
    assert claims.count(True) == 7
    assert await admin.register_queries_on(day) == 7
    assert await admin.take_register_query(day + timedelta(days=1), 7)  # a new day, a new count


async def test_operator_data_thresholds_count_from_their_day_and_repeat_changes_nothing(admin):
    record = ThresholdRecord(year=2026, amount="640.00", source="Staatscourant", known_from=date(2026, 3, 2))
    assert await admin.record_threshold(record) and not await admin.record_threshold(record)
    assert await admin.thresholds(known_on=date(2026, 3, 1)) == []
    assert [r.amount for r in await admin.thresholds(known_on=date(2026, 3, 2))] == [Decimal("640.00")]
    corrected = record.model_copy(update={"amount": Decimal("641.00")})
    assert await admin.record_threshold(corrected)
    assert [r.amount for r in await admin.thresholds()] == [Decimal("641.00")]
    day = DecreeDayRecord(day=date(2031, 5, 2), source="Besluit gelijkstelling 2031")
    assert await admin.record_decree_day(day) and not await admin.record_decree_day(day)
    assert await admin.decree_days() == [day]
    await admin.upsert_provider(ProviderRecord(id="PF-B", kind="fund", name="Fonds B"))
    assert await admin.set_funding_ratio("PF-B", "2026-10", Decimal("1.05"), "DNB")
    assert not await admin.set_funding_ratio("PF-B", "2026-10", Decimal("1.05"), "DNB")
    [ratio] = await admin.funding_ratios("2026-10")
    assert (ratio.ratio, ratio.source) == (Decimal("1.0500"), "DNB")
