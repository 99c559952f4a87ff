"""The wave: every case of the selection started exactly once, in windows, page by page; paused,
resumed and cancelled without losing or duplicating a case."""

import asyncio
import json
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.wave_starts import start_cases
from engine import legal_clock_offset
from models.ids import case_workflow_id, wave_workflow_id
from models.ledger import ProviderRecord
from models.provider import ProviderProfile
from models.scenario import AccrualSpell
from models.transfer import LegalSettings, OutgoingTransferInput
from models.wave import WaveFill, WaveInput, WaveStartInput
from store.repository import Administration
from stubs.providers import create_providers_app
from tests.conftest import make_case, nth_bsn, sqlite_administration
from tests.workflows.stubbed import stubbed_world
from worker import build_worker
from workflows import search_attributes as sa
from workflows.outgoing import NEWEST_PATCH, OutgoingTransferWorkflow
from workflows.wave import WaveWorkflow

CASES = [make_case(case_id=f"W-{i:03d}", bsn=nth_bsn(100 + i), participation_end=date(2021, 3, 31)) for i in range(25)]


@asynccontextmanager
async def wave_world(tmp_path, basis, spells=(), profiles=None, kinds=None, roles=("all",)):
    """25 cases in wave W1 on the time-skipping server, with the real activities and stubs."""
    admin = sqlite_administration(tmp_path)
    for provider, kind in (kinds or {"PF-A": "fund"}).items():
        await admin.upsert_provider(ProviderRecord(id=provider, kind=kind))
    for case in CASES:
        await admin.add_case(case)
    await admin.define_wave("W1", [case.case_id for case in CASES])
    async with stubbed_world(admin, list(spells), create_providers_app(profiles or {}), basis) as world:
        async with AsyncExitStack() as workers:
            for role in roles:  # each role's workers as a process of that role would run them
                await workers.enter_async_context(build_worker(world.client, "waves", world.activities, role=role))
            yield World(world.client, world.env, admin, world.activities)
    await admin.close()


@pytest.fixture
async def world(tmp_path, basis):
    async with wave_world(tmp_path, basis) as world:
        yield world


@dataclass
class World:
    client: object
    env: WorkflowEnvironment
    admin: Administration
    activities: object


async def start_wave(client, **options):
    return await client.start_workflow(
        WaveWorkflow.run,
        WaveInput(provider="PF-A", wave_id="W1", window=4, page_size=10, **options),
        id=wave_workflow_id("PF-A", "W1"),
        task_queue="waves",
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )


async def result_of(handle):
    """The wave's result, or a failure within two minutes rather than a hung test run."""
    return await asyncio.wait_for(handle.result(), timeout=120)


async def started_cases(client) -> set[str]:
    found = set()
    for case in CASES:
        try:
            await client.get_workflow_handle(case_workflow_id("PF-A", case.case_id)).describe()
            found.add(case.case_id)
        except RPCError:
            pass
    return found


async def test_every_case_is_started_once_and_a_second_start_is_a_no_op(world):
    handle = await start_wave(world.client)
    result = await result_of(handle)
    assert (result.counts.started, result.counts.already_running, result.done) == (25, 0, True)
    assert await started_cases(world.client) == {case.case_id for case in CASES}
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    with pytest.raises(WorkflowAlreadyStartedError):
        await start_wave(world.client)


async def test_cases_already_running_elsewhere_are_not_started_twice(world):
    for case in CASES[:3]:
        await world.client.start_workflow(
            OutgoingTransferWorkflow.run,
            OutgoingTransferInput(provider="PF-A", case=case),
            id=case_workflow_id("PF-A", case.case_id),
            task_queue="waves",
        )
    result = await result_of(await start_wave(world.client))
    assert (result.counts.started, result.counts.already_running) == (22, 3)


async def test_a_wave_started_again_restarts_a_case_that_ended_unsuccessfully_never_a_running_one(world):
    """A case that failed or was terminated (for a reason other than missing operator data, which
    it waits for) starts again; a running case is counted and left alone."""
    for case in CASES[:2]:
        await world.client.start_workflow(
            OutgoingTransferWorkflow.run,
            OutgoingTransferInput(provider="PF-A", case=case),
            id=case_workflow_id("PF-A", case.case_id),
            task_queue="waves",
        )
    await world.client.get_workflow_handle(case_workflow_id("PF-A", CASES[0].case_id)).terminate("operator")
    result = await result_of(await start_wave(world.client))
    assert (result.counts.started, result.counts.already_running) == (24, 1)
    restarted = await world.client.get_workflow_handle(case_workflow_id("PF-A", CASES[0].case_id)).describe()
    assert restarted.status == WorkflowExecutionStatus.RUNNING


async def every_run(client, handle) -> list:
    """The histories of a wave's runs, first to last (it continues as new after each page)."""
    runs, run_id = [], handle.first_execution_run_id
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        runs.append(history)
        last = history.events[-1]
        continued = last.HasField("workflow_execution_continued_as_new_event_attributes")
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id if continued else None
    return runs


async def test_a_wave_keeps_its_busy_cases_under_its_bound(tmp_path, basis):
    """Every case is found accruing at PF-B, which is down (503) on Monday 2022-04-04: a case
    that cannot pay stays busy and tries again the next working day. With at most three busy, the
    wave starts three cases that Monday and the fourth only once one of them has paid and closed."""
    spells = [AccrualSpell.model_validate({"bsn": c.bsn, "provider": "PF-B", "from": "2021-06-01"}) for c in CASES]
    down = ProviderProfile(kind="insurer", down=[{"start": "2022-04-04", "end": "2022-04-04"}])
    kinds = {"PF-A": "insurer", "PF-B": "insurer"}  # no funding ratio needed (PW 72 is for funds)
    async with wave_world(tmp_path, basis, spells, {"PF-B": down}, kinds) as world:
        legal = LegalSettings(clock_offset_s=legal_clock_offset(date(2022, 4, 4)))
        handle = await start_wave(world.client, legal=legal, max_busy=3)
        result = await result_of(handle)
        assert result.counts.started == 25
        handles = [world.client.get_workflow_handle(case_workflow_id("PF-A", case.case_id)) for case in CASES]
        await asyncio.wait_for(asyncio.gather(*(handle.result() for handle in handles)), timeout=120)
        assert await world.admin.wave_case_states("W1") == {"transferred": 25}
        queries = await world.admin.audit_steps_of([case.case_id for case in CASES], ["register_query"])
        runs = await every_run(world.client, handle)
    first_day = sorted(step.subject_id for step in queries if step.actual == date(2022, 4, 4))
    assert first_day == ["W-000", "W-001", "W-002"]
    later = {step.actual for step in queries if step.subject_id not in first_day}
    assert len(queries) == 25 and later == {date(2022, 4, 5)}
    # At its bound the wave looks again every second while cases may settle, and waits longer
    # and longer (up to ten minutes) only once none has settled for half a minute: here the
    # whole Monday, with PF-B down.
    waits = [
        event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for run in runs
        for event in run.events
        if event.HasField("timer_started_event_attributes")
    ]
    stall = waits[: waits.index(timedelta(minutes=10))]
    patience = [wait for wait in stall if wait == timedelta(seconds=1)]
    assert 25 <= len(patience) <= 35 and stall[len(patience) :] == [timedelta(seconds=2**k) for k in range(1, 10)]
    assert max(waits) == timedelta(minutes=10)


async def test_a_retried_start_step_counts_the_cases_its_lost_try_started_and_starts_none_twice(world):
    """A window's step that started its cases and was lost before it reported (a worker crash)
    is tried again: it finds them running, counts them as started by this wave, and starts none
    twice; the same cases found by a step scheduled after they started count as running before."""
    request = WaveStartInput(provider="PF-A", wave_id="W1", legal=LegalSettings(), task_queue="waves", limit=5)
    _, cases = await world.admin.wave_page("W1", None, 5)
    lost_try = ActivityEnvironment(client=world.client)
    lost_try.info = replace(lost_try.info, attempt=1, scheduled_time=datetime.now(UTC) - timedelta(days=1))
    first = await lost_try.run(start_cases, world.client, world.admin, request, None, cases)
    assert (first.started, first.already_running, first.cursor, first.exhausted) == (5, 0, "W-004", False)

    retry = ActivityEnvironment(client=world.client)
    retry.info = replace(lost_try.info, attempt=2)
    again = await retry.run(start_cases, world.client, world.admin, request, None, cases)
    assert (again.started, again.already_running) == (5, 0)
    started_at = (await world.client.get_workflow_handle(case_workflow_id("PF-A", "W-004")).describe()).start_time
    later = ActivityEnvironment(client=world.client)
    later.info = replace(lost_try.info, attempt=2, scheduled_time=started_at + timedelta(seconds=1))
    found = await later.run(start_cases, world.client, world.admin, request, None, cases)
    assert (found.started, found.already_running) == (0, 5)
    assert await started_cases(world.client) == {case.case_id for case in cases}


async def test_a_fill_starts_what_fits_under_the_bound_and_its_retry_starts_none_twice(tmp_path, basis):
    """A fill counts the busy cases up to the wave's cursor and starts the next ones that fit.
    Its retry after a lost try counts up to the same cursor, so it reads the cases that try
    started, finds them its own and starts none twice; the next fill finds the wave at its bound.
    (No workers serve the cases here, so they stay busy.)"""
    async with wave_world(tmp_path, basis, roles=()) as world:
        fill = WaveFill(provider="PF-A", wave_id="W1", legal=LegalSettings(), task_queue="waves", window=4, max_busy=3)
        lost_try = ActivityEnvironment(client=world.client)
        lost_try.info = replace(lost_try.info, attempt=1, scheduled_time=datetime.now(UTC) - timedelta(days=1))
        first = await lost_try.run(world.activities.fill_wave, fill)
        assert (first.busy, first.started, first.already_running, first.cursor) == (0, 3, 0, "W-002")

        retry = ActivityEnvironment(client=world.client)
        retry.info = replace(lost_try.info, attempt=2)
        again = await retry.run(world.activities.fill_wave, fill)
        assert (again.busy, again.started, again.already_running, again.cursor) == (0, 3, 0, "W-002")
        assert await started_cases(world.client) == {"W-000", "W-001", "W-002"}

        at_bound = await retry.run(world.activities.fill_wave, fill.model_copy(update={"after": "W-002"}))
        assert (at_bound.busy, at_bound.started, at_bound.cursor, at_bound.exhausted) == (3, 0, "W-002", False)
        assert await started_cases(world.client) == {"W-000", "W-001", "W-002"}


async def test_a_case_a_wave_starts_is_found_at_once_and_upserts_only_before_it_waits(world):
    """Started with its opening view (search attributes and memo) and its code version, a case
    records no patch marker (nor Temporal's TemporalChangeVersion upsert that goes with one) and
    upserts nothing on its way to the register; it publishes once, before its year's wait, what
    changed (a failed attempt and a breach of 17e.1: the query of a 2021 leaver is made today,
    years late)."""
    await result_of(await start_wave(world.client))
    await world.env.sleep(timedelta(days=2))  # every case takes its first attempt
    handle = world.client.get_workflow_handle(case_workflow_id("PF-A", "W-000"))
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert {"WkpWaveId", "WkpPhase", "WkpNextDue", "WkpRegime"} <= set(started.search_attributes.indexed_fields)
    upserts = [
        set(event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for event in history.events
        if event.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    memos = [event for event in history.events if event.HasField("workflow_properties_modified_event_attributes")]
    changed = {"WkpFailedAttempts", "WkpNextDue", "WkpNextDueArticle", "WkpDeadlineBreached", "WkpBreachedArticles"}
    markers = [event for event in history.events if event.HasField("marker_recorded_event_attributes")]
    assert upserts == [changed] and len(memos) == 1 and markers == []
    shown = (await handle.describe()).typed_search_attributes
    assert shown.get(sa.FAILED_ATTEMPTS) == 1 and shown.get(sa.NEXT_DUE_ARTICLE) == "17e.2"
    assert shown.get(sa.BREACHED_ARTICLES) == ["17e.1"] and shown.get(sa.PHASE) == "awaiting_query"


async def test_a_case_started_without_a_code_version_checks_the_newest_patch_once(world):
    """An older starter (or a history from before versions were carried) sets no code version:
    the case then records the newest patch's marker once, as before, and takes the same path."""
    case = CASES[0]
    handle = await world.client.start_workflow(
        OutgoingTransferWorkflow.run,
        OutgoingTransferInput(provider="PF-A", case=case),
        id=case_workflow_id("PF-A", case.case_id),
        task_queue="waves",
    )
    await world.env.sleep(timedelta(days=2))
    history = await handle.fetch_history()
    patches = [
        event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert [json.loads(data)["id"] for data in patches] == [NEWEST_PATCH]
    assert (await handle.describe()).typed_search_attributes.get(sa.FAILED_ATTEMPTS) == 1


async def test_a_wave_runs_on_workers_split_by_role(tmp_path, basis):
    """Workflows and activities served by workers of their own role (WKP_WORKER_ROLE), as a
    deployment runs them in processes apart: every case is started once and takes its steps."""
    async with wave_world(tmp_path, basis, roles=("workflows", "activities")) as world:
        result = await result_of(await start_wave(world.client))
        assert (result.counts.started, result.counts.already_running, result.done) == (25, 0, True)
        await world.env.sleep(timedelta(days=2))
        queries = await world.admin.audit_steps_of([case.case_id for case in CASES], ["register_query"])
        assert sorted(step.subject_id for step in queries) == [case.case_id for case in CASES]


async def test_pause_and_resume(world):
    handle = await start_wave(world.client, start_paused=True)
    progress = await handle.query(WaveWorkflow.progress)
    assert progress.paused and progress.counts.started == 0
    assert await started_cases(world.client) == set()
    await handle.execute_update(WaveWorkflow.resume)
    result = await result_of(handle)
    assert result.counts.started == 25 and not result.paused


async def test_cancel_stops_further_starts(world):
    handle = await start_wave(world.client, start_paused=True)
    cancelled = await handle.execute_update(WaveWorkflow.cancel)
    assert cancelled.cancelled
    result = await result_of(handle)
    assert result.cancelled and result.counts.started == 0
    assert await started_cases(world.client) == set()
    with pytest.raises(Exception, match="not found"):  # a finished wave takes no more updates
        await handle.execute_update(WaveWorkflow.resume)


async def test_the_wave_report_matches_the_administration(world, tmp_path):
    import csv
    import re
    from datetime import timedelta

    from sqlalchemy import func, select

    from backoffice.wave_report import build_report, write_report
    from store.schema import AuditEntry

    await result_of(await start_wave(world.client))
    await world.env.sleep(timedelta(days=2))  # every case takes its first step
    admin = world.admin
    cases, trail = await admin.wave_report_rows("W1")
    html, table = write_report(build_report("W1", date(2026, 11, 23), 25, cases, trail), tmp_path)
    page = html.read_text()
    async with admin.transaction() as session:
        breaches = (
            await session.execute(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.step == "deadline_breached")
            )
        ).scalar_one()
    assert breaches == 25  # each case's first query came after its 17e.1 due date (2022-03-31)
    assert re.search(r"<td>17e.1</td><td class=\"n\">\d+</td><td class=\"n breached\">25</td>", page)
    states = [int(n) for n in re.findall(r"<tr><td>[a-z_]+</td><td class=\"n\">(\d+)</td></tr>", page)]
    assert sum(states) == 25 and '<span id="members">25</span>' in page and "<svg" in page
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["case_id"] for row in rows) == [case.case_id for case in CASES]


async def test_the_wave_report_renders_in_chromium_with_its_chart_and_the_administrations_numbers(world, tmp_path):
    """Debian's chromium opens the report file: it renders, the chart is drawn, and what a reader
    sees equals the administration."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from backoffice.wave_report import build_report, write_report
    from store.schema import AuditEntry, TransferCase
    from tests.browser import chromium_page

    await result_of(await start_wave(world.client))
    await world.env.sleep(timedelta(days=2))  # every case takes its first step
    cases, trail = await world.admin.wave_report_rows("W1")
    html, _ = write_report(build_report("W1", date(2026, 11, 23), 25, cases, trail), tmp_path)
    async with world.admin.transaction() as session:
        queries = (
            await session.execute(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.step == "register_query")
            )
        ).scalar_one()
        by_status = dict(
            (await session.execute(select(TransferCase.status, func.count()).group_by(TransferCase.status))).all()
        )

    async with chromium_page() as page:
        await page.goto(html.as_uri())
        assert await page.title() == "Wave W1 — automatic transfer of small pensions"
        chart = await page.locator("svg#chart").bounding_box()
        assert chart and chart["width"] > 100 and chart["height"] > 100
        bars = page.locator("svg#chart rect.bar[data-series=queried]")
        drawn = [await bars.nth(i).bounding_box() for i in range(await bars.count())]
        assert all(box and box["height"] > 0 for box in drawn)  # every month with queries has a visible bar
        shown = sum([int(await bars.nth(i).get_attribute("data-count")) for i in range(await bars.count())])
        assert shown == queries == 25
        rows = await page.locator("table#states tr").all_inner_texts()
        seen = {state: int(count) for state, count in (row.split("\t") for row in rows[1:])}
        assert seen == by_status and await page.locator("#members").inner_text() == "25"
        await page.screenshot(path=str(tmp_path / "wave-report.png"), full_page=True)
