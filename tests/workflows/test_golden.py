"""Golden histories (tests/golden, one per path of RULES.md): every recorded run must replay
against the current workflow code, or running cases would break on deploy. A deliberately
non-deterministic copy of the workflow shows that the check bites."""

import importlib
import sys
from pathlib import Path

import pytest

from backoffice.audit import read_export, replay
from models.ids import case_workflow_id, incoming_workflow_id, wave_workflow_id
from tests.conftest import TEST_CONVERTER

FOLDER = Path(__file__).resolve().parents[1] / "golden"
GOLDEN = sorted(FOLDER.rglob("*.json"))  # the first recordings, v2/ to v5/, and v6/ (the current code's)
PATHS = {case_workflow_id("PF-A", f"C-{n}") for n in range(1, 17)} | {
    incoming_workflow_id("PF-A", "IN-1"),
    incoming_workflow_id("PF-A", "IN-2"),
}


def test_there_is_a_golden_history_for_every_path():
    assert PATHS <= {path.stem for path in FOLDER.glob("*.json")}
    # before cases listened: the same paths, and a case that waited for its threshold
    assert PATHS | {case_workflow_id("PF-A", "T-1")} <= {path.stem for path in (FOLDER / "v2").glob("*.json")}
    # the current code (v6; v5 the same scenarios recorded by code version 2, before closing cases
    # published with their close; v4 by code version 1, before cases carried their bookkeeping
    # with their outside calls; v3 before cases published only before waits):
    # every path again (incoming ones under the inbound door's ids), and the listening
    # cases: each report kind, PW 66.1 and PW 220b
    for current in (FOLDER / "v3", FOLDER / "v4", FOLDER / "v5", FOLDER / "v6"):
        assert_current_recordings(current)
    # a wave held back by its bound (the back-pressure test's world of tests/workflows/test_wave.py:
    # three runs, 114 recounts), recorded by the code before its count read the busy index
    # (commit 3e36373): its steps' inputs changed since, its commands must not
    assert (FOLDER / "waves" / f"{wave_workflow_id('PF-A', 'W1')}.json").exists()
    # the same wave recorded by the code that counts and starts in one step (`fill_wave`, patch
    # wave-fills-by-step): three runs, 1-second recounts, then longer ones while PF-B is down
    assert (FOLDER / "waves" / "v2" / f"{wave_workflow_id('PF-A', 'W1')}.json").exists()


def assert_current_recordings(current: Path) -> None:
    outgoing = {path.stem for path in (current / "all-paths").glob("wkp-out-*.json")}
    assert outgoing == {case_workflow_id("PF-A", f"C-{n}") for n in range(1, 17)}
    assert len(list((current / "all-paths").glob("wkp-in-*.json"))) == 2
    assert (current / "threshold-awaited" / f"{case_workflow_id('PF-A', 'T-1')}.json").exists()
    assert {path.stem for path in (current / "cases-listen").glob("*.json")} == {
        case_workflow_id("PF-A", f"C-{n}") for n in (1, 13, 14, 15, 16, 30, 33, 35, 40)
    }


@pytest.mark.parametrize("path", GOLDEN, ids=lambda path: str(path.relative_to(FOLDER)))
async def test_every_golden_history_replays_against_the_current_code(path):
    export = read_export(path)
    verdict = await replay(export.histories, TEST_CONVERTER)
    assert verdict.replays, verdict.text(export.workflow_id)


async def replay_changed_copy(tmp_path, monkeypatch, change: str) -> tuple[str, bool]:
    """Replays a transferred case's recorded history against a copy of the outgoing workflow
    with `change` inserted just before it computes the transfer value: the verdict's text and
    whether it replays."""
    source = (Path(__file__).resolve().parents[2] / "workflows" / "outgoing.py").read_text()
    anchor = "            statement = self.statement = await steps.compute_transfer_value(\n"
    assert anchor in source
    (tmp_path / "outgoing_changed.py").write_text(source.replace(anchor, change + anchor))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("outgoing_changed")
    try:
        transferred = read_export(FOLDER / "v3" / "all-paths" / f"{case_workflow_id('PF-A', 'C-1')}.json")
        verdict = await replay(transferred.histories, TEST_CONVERTER, workflows=[module.OutgoingTransferWorkflow])
    finally:
        sys.modules.pop("outgoing_changed", None)
    return verdict.text(transferred.workflow_id), verdict.replays


async def test_a_non_deterministic_change_to_the_workflow_fails_the_replay(tmp_path, monkeypatch):
    """The copy sleeps before computing the transfer value: the recorded history has an activity
    where the copy now schedules a timer."""
    text, replays = await replay_changed_copy(
        tmp_path, monkeypatch, "            await workflow.sleep(timedelta(minutes=1))  # the change\n"
    )
    assert not replays
    assert "Nondeterminism error" in text and "HistoryEvent(id: " in text


async def test_the_replay_restricts_the_workflow_code_the_worker_shares(tmp_path, monkeypatch):
    """The worker passes the workflow modules through its sandbox (worker.SANDBOX), so a wall-clock
    read there would go unnoticed while cases run; the audit replay runs them in the SDK's
    restricting sandbox, where the same read fails the replay as a restricted access (its message
    is encrypted with the failure, as every failure is)."""
    text, replays = await replay_changed_copy(
        tmp_path, monkeypatch, "            self.case_day = date.today()  # the change\n"
    )
    assert not replays
    assert "RestrictedWorkflowAccessError" in text
