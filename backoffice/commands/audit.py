"""`wkp audit`: export a case's recorded history with its audit rows, replay it against the
current code, and write its statutory timeline."""

import asyncio
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from temporalio.service import RPCError

from backoffice.audit import (
    AuditReport,
    Export,
    ReplayStuck,
    case_histories,
    export_document,
    foreign_keys,
    last_statement,
    read_export,
    replay,
    timeline,
    write_audit_report,
)
from backoffice.errors import fail, user_errors
from backoffice.html import file_name
from codec.converter import encrypted_converter
from codec.encryption import configured_key_ring
from config.settings import Settings, get_settings
from engine import temporal_client
from models.ids import case_workflow_id
from store.factory import administration

app = typer.Typer(help="Auditors: export, replay and report a case's recorded history.", no_args_is_help=True)


async def from_cluster(settings: Settings, case_id: str) -> Export:
    workflow_id = case_workflow_id(settings.provider, case_id)
    async with temporal_client(settings) as client:
        try:
            histories = await case_histories(client, workflow_id)
        except RPCError as error:
            raise fail(f"case_id: {case_id!r}: no recorded history on the cluster ({error.message})") from None
    async with administration(settings) as admin:
        trail = await admin.audit_trail(case_id)
    return Export(workflow_id, histories, trail)


@app.command()
@user_errors
def export(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    out: Annotated[Path, typer.Option("--out", help="folder for wkp-audit-CASE.json")] = Path("."),
) -> None:
    """Write every recorded run of the case's workflow (payloads as stored: encrypted) and its
    audit rows from the administration into one JSON file."""
    settings = get_settings()
    found = asyncio.run(from_cluster(settings, case_id))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"wkp-audit-{file_name(case_id)}.json"
    path.write_text(json.dumps(export_document(found.workflow_id, found.histories, found.trail or []), indent=1))
    events = sum(len(history.events) for history in found.histories)
    print(
        f"case {case_id}: {len(found.histories)} run(s), {events} history events, "
        f"{len(found.trail or [])} audit rows -> {path}"
    )


@app.command("replay")
@user_errors
def replay_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|CASE", help="an export file (or a Temporal history JSON), or a case id on the cluster"
        ),
    ],
) -> None:
    """Replay the recorded history against the current code. Exit 0 when every run replays;
    exit 1, naming the run and where it diverges, when one does not."""
    settings = get_settings()
    path = Path(source)
    found = read_export(path) if path.exists() else asyncio.run(from_cluster(settings, source))
    ring = configured_key_ring(settings)
    missing = foreign_keys(found.histories, set(ring.keys))
    if missing:
        names = ", ".join(repr(key) for key in missing)
        print(
            f"error: {found.workflow_id}: its payloads are encrypted with key {names}, not in WKP_PAYLOAD_KEYS: "
            "configure that key to replay it",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    logging.getLogger("temporalio").setLevel(logging.ERROR)  # the verdict says where it diverged
    try:
        verdict = asyncio.run(replay(found.histories, encrypted_converter(ring)))
    except ReplayStuck as stuck:
        print(f"error: {found.workflow_id}: {stuck}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(verdict.text(found.workflow_id))
    if not verdict.replays:
        raise typer.Exit(1)


@app.command()
@user_errors
def report(
    case_id: Annotated[str, typer.Argument(help="the case id")],
    source: Annotated[
        Path | None, typer.Option("--from", help="an export file instead of the cluster and administration")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for audit-CASE.html and audit-CASE.txt")] = Path("."),
) -> None:
    """The case's statutory timeline: each step with its article, due date, actual date and
    whether the term was met, the amounts, the transfer value statement, and whether the
    history replays against the current code."""
    settings = get_settings()
    found = read_export(source) if source else asyncio.run(from_cluster(settings, case_id))
    if found.trail is None:
        raise fail(f"--from: {source} holds a bare history without audit rows; export the case with `wkp audit export`")
    html, text = asyncio.run(make_report(case_id, found, settings, out))
    print(text.read_text(), end="")
    print(f"\nwritten: {html} and {text}")


async def make_report(case_id: str, found: Export, settings: Settings, out: Path) -> tuple[Path, Path]:
    converter = encrypted_converter(configured_key_ring(settings))
    audit = AuditReport(
        case_id=case_id,
        workflow_id=found.workflow_id,
        made_on=date.today(),
        rows=timeline(found.trail or []),
        statement=await last_statement(found.histories, converter),
        verdict=await replay(found.histories, converter),
    )
    return write_audit_report(audit, out)
