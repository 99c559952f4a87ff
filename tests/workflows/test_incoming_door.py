"""`wkp simulate`'s incoming transfers arrive through the inbound door, as in production: the
receipt is booked once by the door and the case it started, and the rights bought use the
person's pension date from the administration when the engine knows the person (and say so when
it falls back to the default age)."""

from sqlalchemy import func, select

from rules.scenario import validate_scenario
from sim import SimulationOptions, simulate
from store.schema import InboundDelivery, Receipt
from tests.conftest import TEST_CONVERTER, nth_bsn, sqlite_administration

SCENARIO = {
    "name": "incoming-through-the-door",
    "provider": "PF-A",
    "start": "2022-01-01",
    "until": "2022-03-31",
    "providers": {"PF-B": {"kind": "fund"}},
    "register": [{"bsn": nth_bsn(1), "provider": "PF-A", "from": "2021-06-01", "to": None}],
    # Known to PF-A: a small pension of its own (left 2021-05-31), pension date 2049-03-01.
    "cases": [
        {
            "case_id": "C-1",
            "bsn": nth_bsn(1),
            "birth_date": "1982-03-01",
            "participation_end": "2021-05-31",
            "pension_date": "2049-03-01",
            "old_age_pension": "300.00",
        }
    ],
    "incoming": [
        {
            "transfer_id": "IN-K",
            "from_provider": "PF-B",
            "bsn": nth_bsn(1),
            "birth_date": "1982-03-01",
            "amount": "2345.67",
            "received": "2022-01-01",
        },
        {
            "transfer_id": "IN-U",
            "from_provider": "PF-B",
            "bsn": nth_bsn(2),
            "birth_date": "1990-07-01",
            "amount": "1000.00",
            "received": "2022-02-14",
        },
    ],
}


async def test_incoming_transfers_come_through_the_door_and_use_the_known_pension_date(basis, tmp_path):
    admin = sqlite_administration(tmp_path, b"d" * 32)
    try:
        run = await simulate(
            validate_scenario(SCENARIO), basis, SimulationOptions(converter=TEST_CONVERTER, administration=admin)
        )
        lines = {line.get("transfer_id"): line for line in run.lines if "transfer_id" in line}
        assert lines["IN-K"]["outcome"] == lines["IN-U"]["outcome"] == "applied"
        assert [e["date"] for e in lines["IN-U"]["events"] if e["type"] == "received"] == ["2022-02-14"]
        async with admin.transaction() as session:
            deliveries = (await session.execute(select(func.count()).select_from(InboundDelivery))).scalar_one()
            receipts = (await session.execute(select(Receipt.transfer_id, Receipt.received))).all()
        assert deliveries == 2 and len(receipts) == 2  # the door's booking and the case's are one
        assert sorted(str(received) for _, received in receipts) == ["2022-01-01", "2022-02-14"]
        letters = {}
        for transfer_id, received in receipts:
            [letter] = await admin.letters_for(transfer_id)
            letters["IN-K" if str(received) == "2022-01-01" else "IN-U"] = letter.body
        assert "ingaand op 1 maart 2049" in letters["IN-K"] and "standaard" not in letters["IN-K"]
        assert "ingaand op 1 juli 2058" in letters["IN-U"] and "standaard pensioenleeftijd van 68" in letters["IN-U"]
    finally:
        await admin.close()
