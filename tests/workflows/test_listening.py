"""Cases that listen (RULES.md §7, §8): every report kind reaches a case in each of its waiting
states, on its `on` day; PW 66.1 at the pension date; buy-out of a 2017 leaver under PW 220b; the
afkoopvoet (Besluit 16) waited for and paid at; one lump sum under a crash after booking. All on
the time-skipping server through `wkp simulate`'s path, dates asserted."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from temporalio import activity
from temporalio.worker import Replayer

from activities.transfer import TransferActivities
from models.ledger import PaymentKind
from models.steps import PAY_BUYOUT, PayBuyoutInput
from rules.calendar import add_months
from rules.scenario import validate_scenario
from sim import SimulationOptions, simulate
from tests.conftest import TEST_CONVERTER, nth_bsn, sqlite_administration
from worker import WORKFLOWS

FACTOR = Decimal("11.5")  # the scenario's afkoopvoet, flat, from 2019-01-01 on


def case(n: int, end: str, pension: str = "2050-01-01", **extra) -> dict:
    return {
        "case_id": f"C-{n}",
        "bsn": nth_bsn(n),
        "birth_date": "1957-01-01",
        "participation_end": end,
        "pension_date": pension,
        "old_age_pension": "300.00",
        **extra,
    }


def accrues(n: int, provider: str) -> dict:
    return {"bsn": nth_bsn(n), "provider": provider, "from": "2010-01-01", "to": None}


# The four waiting states, each with the day a report reaches it.
STATES = {
    # not accruing anywhere: failed on 2019-04-01, the next query is a year on
    "query": {"end": "2019-03-31", "on": "2019-06-03"},
    # accruing at PF-U, whose funding ratio suspends the transfer from 2019-04-01 to 2019-05-01
    "suspended": {"end": "2019-03-31", "on": "2019-04-15", "provider": "PF-U"},
    # accruing at PF-B; the answer came on Saturday 2019-06-01, payment is due Monday 2019-06-03
    "payday": {"end": "2019-05-31", "on": "2019-06-02", "provider": "PF-B"},
    # a 2017 leaver: the 56.2 query failed on 2019-01-01, the PW 220b offer opens 2019-05-31
    "offer": {"end": "2017-05-31", "on": "2019-06-10"},
}
KINDS = ["death", "pension_date", "individual_transfer", "calculation_statement"]


def new_pension_date(on: str) -> str:
    """An earlier retirement, reported less than three months ahead: the transfer right ends on
    the day it is learned and the PW 66.1 offer goes out then."""
    return add_months(date.fromisoformat(on).replace(day=1), 2).isoformat()


def report(kind: str, case_id: str, on: str) -> dict:
    if kind == "death":
        return {"case_id": case_id, "on": on, "death_date": (date.fromisoformat(on).replace(day=1)).isoformat()}
    if kind == "pension_date":
        return {"case_id": case_id, "on": on, "pension_date": new_pension_date(on)}
    return {"case_id": case_id, "on": on, "request": kind}


REPORTED: dict[tuple[str, str], int] = {}  # (state, kind) -> case number
CASES: list[dict] = []
REPORTS: list[dict] = []
REGISTER: list[dict] = []
for s, (state, spec) in enumerate(STATES.items()):
    for k, kind in enumerate(KINDS):
        n = 1 + 4 * s + k
        REPORTED[state, kind] = n
        CASES.append(case(n, spec["end"]))
        REPORTS.append(report(kind, f"C-{n}", spec["on"]))
        if "provider" in spec:
            REGISTER.append(accrues(n, spec["provider"]))

# PW 66.1: a pension date of 2019-10-01, so the offer goes out on 2019-07-01.
PENSION = {
    "consent": case(30, "2019-03-31", "2019-10-01", consent_to_buyout=True),
    "refusal": case(31, "2019-03-31", "2019-10-01", consent_to_buyout=False),
    "silence": case(32, "2019-03-31", "2019-10-01"),
    # Besluit 17f: queried at a plan wave (from 2020 on), so their pension date is a year later.
    "silence_before_2007": case(33, "2006-06-30", "2020-10-01"),
    "objection_before_2007": case(34, "2006-06-30", "2020-10-01", consent_to_buyout=False),
}
OFFERED = {n: ("2020-07-01", "2020-10-01") if n in (33, 34) else ("2019-07-01", "2019-10-01") for n in range(30, 35)}
# PW 220b: participation ended in 2017; the 56.2 query fails on 2019-01-01.
LEAVERS = {"consent": case(40, "2017-05-31", consent_to_buyout=True), "silence": case(41, "2017-05-31")}
# A later retirement: reported before the 66.1 offer of 2019-07-01, which then moves to 2020-10-01.
LATER = case(35, "2019-03-31", "2019-10-01")
REPORTS.append({"case_id": "C-35", "on": "2019-06-03", "pension_date": "2021-01-01"})

SCENARIO = {
    "name": "cases-listen",
    "provider": "PF-A",
    "start": "2019-01-01",
    "until": "2020-10-31",
    "providers": {"PF-B": {"kind": "fund"}, "PF-U": {"kind": "fund"}},
    "funding_ratios": {"PF-U": {"2019-03": 0.95}},
    "afkoopvoet": {"2019-01-01": str(FACTOR)},
    "thresholds": {"2006": 400.00},  # test data: the pre-2007 leavers' year (RULES.md §1)
    # Besluit 17f: the pre-2007 leavers are queried at a plan wave; it fails and their 220b
    # offer goes unanswered or refused, before the 66.1 offer comes.
    "plan": {"waves": [{"id": "W1", "date": "2020-02-03", "case_ids": ["C-33", "C-34"]}]},
    "register": REGISTER,
    "cases": CASES + list(PENSION.values()) + list(LEAVERS.values()) + [LATER],
    "reports": REPORTS,
}


class CrashAfterBooking(TransferActivities):
    """The worker dies after the lump sum was booked and before Temporal heard of it, once per
    case: the retry must book nothing new."""

    crashed: set[str] = set()

    @activity.defn(name=PAY_BUYOUT)
    async def pay_buyout(self, payment: PayBuyoutInput) -> None:
        await super().pay_buyout(payment)
        if payment.case_id not in self.crashed:
            self.crashed.add(payment.case_id)
            raise RuntimeError("worker lost after booking the lump sum")


@pytest.fixture(scope="module")
async def simulated(basis, tmp_path_factory):
    admin = sqlite_administration(tmp_path_factory.mktemp("listening"), b"k" * 32)
    options = SimulationOptions(
        converter=TEST_CONVERTER, keep_histories=True, administration=admin, activities=CrashAfterBooking
    )
    run = await simulate(validate_scenario(SCENARIO), basis, options)
    yield {line["case_id"]: line for line in run.lines}, run, admin
    await admin.close()


@pytest.fixture(scope="module")
def results(simulated):
    return simulated[0]


def events(results, n: int, kind: str) -> list[dict]:
    return [event for event in results[f"C-{n}"]["events"] if event["type"] == kind]


def after(results, n: int, day: str) -> list[dict]:
    return [event for event in results[f"C-{n}"]["events"] if event["date"] > day]


def lump_sum(factor: Decimal = FACTOR) -> str:
    return str((factor * Decimal("300.00")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def test_every_report_was_accepted(simulated):
    assert simulated[1].refused_reports == []


@pytest.mark.parametrize("state", STATES)
async def test_a_reported_death_closes_the_case_on_the_day_it_is_learned(results, state):
    n, on = REPORTED[state, "death"], STATES[state]["on"]
    assert results[f"C-{n}"]["outcome"] == "deceased"
    assert results[f"C-{n}"]["events"][-1] == {"type": "closed", "date": on, "outcome": "deceased"}
    assert not events(results, n, "payment") and not events(results, n, "buyout_paid")
    assert after(results, n, on) == []


@pytest.mark.parametrize("state", STATES)
async def test_an_earlier_pension_date_ends_the_transfer_right_on_the_day_it_is_learned(results, state):
    n, on = REPORTED[state, "pension_date"], STATES[state]["on"]
    pension = new_pension_date(on)
    [offer] = [e for e in events(results, n, "buyout_offered") if e["article"] == "66.1"]
    assert (offer["date"], offer["due"]) == (on, pension)  # a month at least: the pension date is later
    assert not [e for e in after(results, n, on) if e["type"] in ("register_query", "payment", "buyout_paid")]
    assert results[f"C-{n}"]["events"][-1] == {"type": "closed", "date": pension, "outcome": "pension_started"}


async def test_a_later_pension_date_moves_the_66_1_offer(results):
    [offer] = events(results, 35, "buyout_offered")
    assert (offer["date"], offer["article"], offer["due"]) == ("2020-10-01", "66.1", "2021-01-01")
    assert results["C-35"]["outcome"] == "open"


ANSWERS = {  # request -> (article, letter, a line the letter holds)
    "individual_transfer": ("71", "automatic_transfer_applies", "automatische waardeoverdracht"),
    "calculation_statement": ("17e.7", "calculation_statement", "Overdrachtswaarde"),
}


@pytest.mark.parametrize("kind", ANSWERS)
@pytest.mark.parametrize("state", STATES)
async def test_a_request_is_answered_with_its_letter_on_the_day_it_is_learned(results, state, kind, simulated):
    n, on = REPORTED[state, kind], STATES[state]["on"]
    article, letter, line = ANSWERS[kind]
    answers = [e for e in events(results, n, "participant_informed") if e["article"] == article]
    assert answers == [{"type": "participant_informed", "date": on, "article": article, "letter": letter}]
    sent = [queued for queued in await simulated[2].letters_for(f"C-{n}") if queued.kind.value == letter]
    assert len(sent) == 1 and line in sent[0].body


@pytest.mark.parametrize("state", STATES)
async def test_a_requested_calculation_is_kept_in_the_administration(simulated, state):
    n, on = REPORTED[state, "calculation_statement"], STATES[state]["on"]
    kept = await simulated[2].statements_for(f"C-{n}")
    assert on in [statement["transfer_date"] for statement in kept]  # outlives Temporal's retention


@pytest.mark.parametrize("kind", ["individual_transfer", "calculation_statement"])
async def test_a_request_changes_nothing_else(results, kind):
    outcomes = {state: results[f"C-{REPORTED[state, kind]}"]["outcome"] for state in STATES}
    assert outcomes == {"query": "open", "suspended": "transferred", "payday": "transferred", "offer": "open"}


async def test_66_1_consent_buys_off_at_the_pension_date_exactly_once(results, simulated):
    n = 30
    [offer] = events(results, n, "buyout_offered")
    assert (offer["date"], offer["article"], offer["due"]) == ("2019-07-01", "66.1", "2019-10-01")
    [paid] = events(results, n, "buyout_paid")
    assert (paid["date"], paid["article"], paid["amount"]) == ("2019-10-01", "66.1", lump_sum())
    assert paid["factor"] == str(FACTOR)
    assert results["C-30"]["outcome"] == "bought_off"
    booked = await simulated[2].payments_for_case("C-30")
    assert [(b.kind, b.amount) for b in booked] == [(PaymentKind.BUYOUT, Decimal(lump_sum()))]
    assert "C-30" in CrashAfterBooking.crashed  # the retry after the crash booked nothing new


@pytest.mark.parametrize("key", ["refusal", "silence", "objection_before_2007"])
async def test_66_1_refusal_silence_or_objection_starts_the_pension(results, key):
    n = int(PENSION[key]["case_id"][2:])
    offered, pension = OFFERED[n]
    [offer] = [e for e in events(results, n, "buyout_offered") if e["article"] == "66.1"]
    assert (offer["date"], offer["due"]) == (offered, pension)
    assert not events(results, n, "buyout_paid")
    assert results[f"C-{n}"]["events"][-1] == {"type": "closed", "date": pension, "outcome": "pension_started"}


async def test_66_1_silence_buys_off_when_participation_ended_before_2007(results):
    [paid] = events(results, 33, "buyout_paid")
    assert (paid["date"], paid["article"], paid["amount"]) == ("2020-10-01", "66.1", lump_sum())
    assert results["C-33"]["outcome"] == "bought_off"


async def test_a_2017_leaver_with_consent_is_bought_off_two_years_after_participation_ended(results, simulated):
    [failed] = events(results, 40, "transfer_failed")
    assert failed["date"] == "2019-01-01"  # one failed attempt, not five
    [offer] = events(results, 40, "buyout_offered")
    assert (offer["date"], offer["article"], offer["failed_attempts"]) == ("2019-05-31", "220b", 1)
    [paid] = events(results, 40, "buyout_paid")
    assert (paid["date"], paid["amount"], paid["factor"]) == ("2019-05-31", lump_sum(), str(FACTOR))
    assert results["C-40"]["outcome"] == "bought_off"
    assert len(await simulated[2].payments_for_case("C-40")) == 1  # booked once despite the crash


async def test_a_2017_leaver_without_an_answer_stays_open(results):
    assert [e["article"] for e in events(results, 41, "buyout_offered")] == ["220b"]
    assert not events(results, 41, "buyout_paid")
    assert results["C-41"]["outcome"] == "open"


async def test_events_are_in_date_order(results):
    for line in results.values():
        dates = [event["date"] for event in line["events"]]
        assert dates == sorted(dates), line["case_id"]


async def test_every_recorded_history_replays(simulated):
    replayer = Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)

    async def each():
        for history in simulated[1].histories:
            yield history

    outcome = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
    assert {run_id: str(error) for run_id, error in outcome.replay_failures.items()} == {}


async def test_a_buy_out_waits_for_an_afkoopvoet_and_pays_once_one_covers_its_day(basis):
    """No afkoopvoet before 2019-08-01: the 2017 leaver's offer waits for one, never guesses."""
    scenario = {
        "name": "afkoopvoet-awaited",
        "provider": "PF-A",
        "start": "2019-01-01",
        "until": "2019-12-31",
        "providers": {"PF-B": {"kind": "fund"}},
        "afkoopvoet": {"2019-08-01": "12.25"},
        "register": [],
        "cases": [LEAVERS["consent"]],
    }
    run = await simulate(validate_scenario(scenario), basis, SimulationOptions(converter=TEST_CONVERTER))
    [line] = run.lines
    [offer] = [e for e in line["events"] if e["type"] == "buyout_offered"]
    [paid] = [e for e in line["events"] if e["type"] == "buyout_paid"]
    assert offer["date"] >= "2019-08-01" > "2019-05-31"
    assert (paid["amount"], paid["factor"]) == (lump_sum(Decimal("12.25")), "12.25")
    assert line["outcome"] == "bought_off"
