"""Every path of RULES.md through the real workflows, activities, stubs and administration, on
the time-skipping server: one scenario, one case per path, dates asserted against the rulebook."""

import json
from datetime import date

import pytest
from temporalio.worker import Replayer

from models.ids import case_workflow_id
from models.transfer import CASE_CODE_VERSION
from rules.calendar import DECREE_DAYS, LegalCalendar
from rules.scenario import validate_scenario
from sim import SimulationOptions, simulate
from tests.conftest import TEST_CONVERTER, nth_bsn
from worker import WORKFLOWS
from workflows.outgoing import NEWEST_PATCH, PATCH_VERSIONS

calendar = LegalCalendar(DECREE_DAYS)  # the shipped Royal-decree days always apply
D = date.fromisoformat


def case(n: int, end: str, pension: str = "2050-01-01", amount: str = "300.00", **extra) -> dict:
    return {
        "case_id": f"C-{n}",
        "bsn": nth_bsn(n),
        "birth_date": "1980-01-01",
        "participation_end": end,
        "pension_date": pension,
        "old_age_pension": amount,
        **extra,
    }


def accrues(n: int, provider: str, start: str) -> dict:
    return {"bsn": nth_bsn(n), "provider": provider, "from": start, "to": None}


SCENARIO = {
    "name": "all-paths",
    "provider": "PF-A",
    "start": "2021-01-01",
    "until": "2026-06-30",
    "providers": {"PF-B": {"kind": "fund"}, "PF-R": {"kind": "insurer", "accepts": False}, "PF-U": {"kind": "fund"}},
    "funding_ratios": {"PF-U": {"2022-09": 0.95}},
    "register": [
        accrues(1, "PF-B", "2020-01-01"),
        accrues(2, "PF-B", "2023-01-01"),
        accrues(3, "PF-R", "2020-01-01"),
        accrues(8, "PF-B", "2020-01-01"),
        accrues(9, "PF-B", "2020-01-01"),
        accrues(11, "PF-U", "2020-01-01"),
    ],
    "plan": {"waves": [{"id": "W1", "date": "2021-09-01", "case_ids": ["C-9", "C-10"]}]},
    "cases": [
        case(1, "2021-03-31"),  # found on the first query
        case(2, "2021-03-31"),  # found after yearly re-queries
        case(3, "2021-03-31"),  # the receiving provider refuses
        case(4, "2021-01-31", consent_to_buyout=True),  # five failed attempts, consent
        case(5, "2021-01-31", consent_to_buyout=False),  # five failed attempts, refusal
        case(6, "2021-01-31", consent_to_buyout=None),  # five failed attempts, silence
        case(7, "2018-06-30", consent_to_buyout=True),  # the 2018 cohort
        case(8, "2017-05-31"),  # art. 56 regime
        case(9, "2015-05-31"),  # 17f regime, found at the wave date
        case(10, "2015-05-31", consent_to_buyout=True),  # 17f, plan attempt fails: buy-out (220b)
        case(11, "2022-09-30"),  # suspended by the receiving fund's funding ratio
        case(12, "2021-03-31", pension="2023-06-01", birth_date="1958-06-01"),  # pension start
        case(13, "2021-03-31", death_date="2022-01-15"),  # death
        case(14, "2021-03-31", amount="2.00"),  # lapse
        case(15, "2021-03-31", amount="503.24"),  # above threshold (2021: 503.24)
        case(16, "2021-03-31", net_pension=True),  # net pension
    ],
    "incoming": [
        {
            "transfer_id": "IN-1",
            "from_provider": "PF-B",
            "bsn": nth_bsn(50),
            "birth_date": "1990-07-01",
            "amount": "2345.67",
            "received": "2022-01-31",
        },
        {
            "transfer_id": "IN-2",
            "from_provider": "PF-B",
            "bsn": nth_bsn(51),
            "birth_date": "1990-07-01",
            "amount": "100.00",
            "received": "2022-04-30",
        },
    ],
}


@pytest.fixture(scope="module")
async def simulated(basis):
    run = await simulate(
        validate_scenario(SCENARIO), basis, SimulationOptions(converter=TEST_CONVERTER, keep_histories=True)
    )
    return {line.get("case_id") or line.get("transfer_id"): line for line in run.lines}, run.histories


@pytest.fixture(scope="module")
def results(simulated):
    return simulated[0]


def events(results, key: str, kind: str) -> list[dict]:
    return [event for event in results[key]["events"] if event["type"] == kind]


def paid_within_ten_working_days(payment: dict, answer_date: date) -> None:
    assert payment["due"] == calendar.add_working_days(answer_date, 10).isoformat()
    assert D(payment["date"]) <= D(payment["due"]) and payment["article"] == "17e.4"
    assert payment["transfer_date"] == payment["date"]  # 17e.6: the payment date is the transfer date


async def test_found_on_first_query(results):
    first = results["C-1"]
    assert first["outcome"] == "transferred"
    [query] = events(results, "C-1", "register_query")
    assert (query["date"], query["due"], query["article"], query["provider"]) == (
        "2021-04-01",
        "2022-03-31",
        "17e.1",
        "PF-B",
    )
    [payment] = events(results, "C-1", "payment")
    paid_within_ten_working_days(payment, D("2021-04-01"))
    assert payment["due"] == "2021-04-19"  # Good Friday and Easter Monday do not count


async def test_found_after_yearly_requeries(results):
    queries = events(results, "C-2", "register_query")
    assert [q["date"] for q in queries] == ["2021-04-01", "2022-04-01", "2023-04-01"]
    assert [q["article"] for q in queries] == ["17e.1", "17e.2", "17e.2"]
    [payment] = events(results, "C-2", "payment")
    assert payment["date"] == "2023-04-03"  # the answer came on a Saturday: paid Monday
    paid_within_ten_working_days(payment, D("2023-04-01"))
    assert results["C-2"]["outcome"] == "transferred"


async def test_refused_by_the_receiving_provider_counts_as_a_failed_attempt(results):
    refusals = events(results, "C-3", "transfer_failed")
    assert refusals[0] == {"type": "transfer_failed", "date": "2021-04-01", "reason": "refused", "provider": "PF-R"}
    # 2023-04-01 is a Saturday and 2024-04-01 Easter Monday: the transfer is tried, and
    # refused, on the next working day.
    assert [r["date"] for r in refusals[:5]] == ["2021-04-01", "2022-04-01", "2023-04-03", "2024-04-02", "2025-04-01"]
    assert not events(results, "C-3", "payment")
    # Attempts are dated by their query, so all five count despite the Monday refusal.
    [offer] = events(results, "C-3", "buyout_offered")
    assert (offer["date"], offer["failed_attempts"]) == ("2025-04-01", 5)


async def test_five_failed_attempts_then_consent_buys_off(results):
    assert len(events(results, "C-4", "transfer_failed")) == 5
    [offer] = events(results, "C-4", "buyout_offered")
    assert (offer["date"], offer["failed_attempts"], offer["article"]) == ("2025-02-01", 5, "66.2.c")
    [paid] = events(results, "C-4", "buyout_paid")
    assert paid["date"] == "2025-02-03" and paid["article"] == "66"  # offer on a Saturday
    assert results["C-4"]["outcome"] == "bought_off"


@pytest.mark.parametrize("key", ["C-5", "C-6"])
async def test_refusal_or_silence_keeps_the_pension_and_the_queries_go_on(results, key):
    assert len(events(results, key, "buyout_offered")) == 1
    assert not events(results, key, "buyout_paid")
    assert events(results, key, "register_query")[-1]["date"] == "2026-02-01"
    assert results[key]["outcome"] == "open"


async def test_the_2018_cohort_may_be_bought_off_from_2024_with_consent(results):
    first = results["C-7"]["events"][0]
    assert (first["type"], first["letter"], first["article"]) == ("participant_informed", "art56_notice", "56.1")
    breach = events(results, "C-7", "deadline_breached")[0]
    assert (breach["date"], breach["due"], breach["article"]) == (
        "2021-01-01",
        "2019-12-31",
        "56.2",
    )  # Besluit 24: goes on
    [offer] = events(results, "C-7", "buyout_offered")
    assert (offer["date"], offer["article"], offer["failed_attempts"]) == ("2024-01-01", "66.2", 4)
    assert results["C-7"]["outcome"] == "bought_off"


async def test_art_56_regime(results):
    [query] = events(results, "C-8", "register_query")
    assert (query["date"], query["due"], query["article"]) == ("2021-01-01", "2019-12-31", "56.2")
    [payment] = events(results, "C-8", "payment")
    assert payment["date"] == "2021-01-04"  # New Year and a weekend
    paid_within_ten_working_days(payment, D("2021-01-01"))


async def test_17f_regime_informed_first_then_queried_at_the_wave_date(results):
    informed = events(results, "C-9", "participant_informed")[0]
    assert (informed["date"], informed["letter"], informed["article"]) == ("2021-01-01", "intended_transfer", "17f.1.c")
    [query] = events(results, "C-9", "register_query")
    assert (query["date"], query["due"], query["article"]) == ("2021-09-01", "2021-09-01", "17f.3")
    assert results["C-9"]["outcome"] == "transferred"
    [offer] = events(results, "C-10", "buyout_offered")
    assert (offer["date"], offer["article"], offer["failed_attempts"]) == ("2021-09-01", "220b", 1)
    assert results["C-10"]["outcome"] == "bought_off"


async def test_suspension_by_funding_ratio(results):
    [suspended] = events(results, "C-11", "suspended")
    assert (suspended["date"], suspended["until"], suspended["provider"]) == ("2022-10-01", "2022-11-01", "PF-U")
    queries = events(results, "C-11", "register_query")
    assert [q["date"] for q in queries] == ["2022-10-01", "2022-11-01"]
    [payment] = events(results, "C-11", "payment")
    paid_within_ten_working_days(payment, D("2022-11-01"))


async def test_pension_start_death_lapse_and_not_eligible(results):
    assert results["C-12"]["outcome"] == "pension_started" and results["C-12"]["events"][-1]["date"] == "2023-06-01"
    assert results["C-13"]["outcome"] == "deceased" and results["C-13"]["events"][-1]["date"] == "2022-01-15"
    assert results["C-14"]["outcome"] == "lapsed" and results["C-14"]["events"][0]["article"] == "55.6"
    assert results["C-15"]["events"][0]["reason"] == "above_threshold"
    assert results["C-16"]["events"][0]["reason"] == "net_pension"
    assert all(results[k]["outcome"] == "not_eligible" for k in ("C-15", "C-16"))
    # Assessed once participation has ended (2021-03-31), never before it (FORMAT.md).
    assert all(results[k]["events"][0]["date"] == "2021-04-01" for k in ("C-14", "C-15", "C-16"))


async def test_no_event_is_dated_before_participation_ended(results):
    for case in SCENARIO["cases"]:
        first = results[case["case_id"]]["events"][0]["date"]
        assert first > case["participation_end"] or first == SCENARIO["start"], case["case_id"]


async def test_receiving_side_applies_within_a_month_and_informs_within_ten_working_days(results):
    month_end = {e["type"]: e for e in results["IN-1"]["events"]}
    assert month_end["received"]["date"] == "2022-01-31"
    assert month_end["value_applied"]["due"] == "2022-02-28"  # no 31 February: the month's last day
    assert (
        month_end["participant_informed"]["due"]
        == calendar.add_working_days(D(month_end["value_applied"]["date"]), 10).isoformat()
    )
    weekend = {e["type"]: e for e in results["IN-2"]["events"]}
    assert weekend["value_applied"]["date"] == "2022-05-02" and weekend["value_applied"]["due"] == "2022-05-30"
    assert results["IN-1"]["outcome"] == results["IN-2"]["outcome"] == "applied"


async def test_events_are_in_date_order(results):
    for line in results.values():
        dates = [event["date"] for event in line["events"]]
        assert dates == sorted(dates), line.get("case_id")


async def test_every_recorded_history_replays_without_nondeterminism(simulated):
    histories = simulated[1]
    assert len(histories) > len(SCENARIO["cases"]) + len(SCENARIO["incoming"])  # continue-as-new made several runs
    replayer = Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)

    async def each():
        for history in histories:
            yield history

    outcome = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
    failures = {run_id: str(error) for run_id, error in outcome.replay_failures.items()}
    assert failures == {}


async def test_cases_started_on_the_current_code_record_no_patch_marker_in_any_run(simulated):
    """The harness starts cases with their code version and each continue-as-new carries it on:
    no run records a patch marker, nor the TemporalChangeVersion upsert that comes with one."""
    runs = [history for history in simulated[1] if history.workflow_id.startswith(case_workflow_id("PF-A", ""))]
    assert len(runs) > len(SCENARIO["cases"])  # continued runs are among them
    markers = [
        history.workflow_id
        for history in runs
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert markers == []


def test_the_code_version_starters_set_is_the_newest_patchs():
    """A new patch without a raised CASE_CODE_VERSION would leave new cases on the old path."""
    assert CASE_CODE_VERSION == PATCH_VERSIONS[NEWEST_PATCH] == max(PATCH_VERSIONS.values())


async def test_a_closing_case_publishes_its_closed_view_in_the_task_that_completes_it(simulated):
    """Written first, published with the close (code version 3): Temporal records the closed
    view with the completion in one visibility write, not in one of its own before the last write."""
    closed = [
        history
        for history in simulated[1]
        if history.workflow_id.startswith(case_workflow_id("PF-A", ""))
        and history.events[-1].HasField("workflow_execution_completed_event_attributes")
    ]
    ended = {
        case_workflow_id("PF-A", case["case_id"])
        for case in SCENARIO["cases"]
        if simulated[0][case["case_id"]]["outcome"] != "open"
    }
    assert {history.workflow_id for history in closed} == ended and len(ended) >= 10
    for history in closed:
        last_task = max(
            i for i, event in enumerate(history.events) if event.HasField("workflow_task_completed_event_attributes")
        )
        tail = history.events[last_task + 1 : -1]
        phases = [
            json.loads(
                event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
                    "WkpPhase"
                ].data
            )
            for event in tail
            if event.HasField("upsert_workflow_search_attributes_event_attributes")
        ]
        assert phases == ["closed"], (history.workflow_id, phases)
        assert all(
            event.HasField("upsert_workflow_search_attributes_event_attributes")
            or event.HasField("workflow_properties_modified_event_attributes")
            for event in tail
        ), history.workflow_id
