"""A case's bookkeeping, apart from the law's steps: the statutory steps it records (buffered,
then written to the administration's audit log in one activity), and what operators see of it
(search attributes and a one-line memo summary). Shared by the transferring and the receiving side.
"""

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    import workflows.search_attributes as sa
    import workflows.steps as steps
    from models import ids
    from models.events import CaseEvent, EventType
    from models.ledger import AuditStep, CaseProjection
    from models.steps import CaseProgress, KeptStatement
    from models.transfer import CaseState, OutgoingTransferInput
    from rules.buyout import counted_failures
    from rules.regime import Regime, first_query_article, first_query_due, regime_for
    from rules.transfer_value import TransferValueStatement
    from workflows.legal_clock import LegalClock


class Book:
    """The statutory steps of one subject (a case or an incoming transfer), buffered for the audit log."""

    def __init__(self, subject_id: str, events: list[CaseEvent]) -> None:
        self.subject_id = subject_id
        self.events = events
        self.unrecorded: list[AuditStep] = []
        self.unkept: list[KeptStatement] = []
        # The reporting row is due with the next write (a new case's: written before it waits,
        # or with its first register query when that is made at once).
        self.projection_owed = False

    def record(self, event: CaseEvent, **audit_only: str | None) -> None:
        """Add a statutory step; it reaches the audit log at the next flush, with `audit_only`
        details an auditor needs that are not part of the case event (a factor's source)."""
        self.events.append(event)
        details = event.model_dump(mode="json", exclude_none=True, exclude={"type", "date", "due", "article"})
        details.update({name: value for name, value in audit_only.items() if value is not None})
        self.note(
            AuditStep(
                idempotency_key=ids.event_key(workflow.info().workflow_id, len(self.events)),
                subject_id=self.subject_id,
                step=event.type.value,
                article=event.article or "",
                due=event.due,
                actual=event.date,
                details=details,
            )
        )

    def note(self, step: AuditStep) -> None:
        """An audit row that is not a case event (e.g. the participant's consent)."""
        self.unrecorded.append(step)

    def keep(self, statement: TransferValueStatement) -> None:
        """A 17e.7 calculation, kept in the administration by the next write."""
        self.unkept.append(
            KeptStatement(
                case_id=self.subject_id,
                transfer_date=statement.transfer_date,
                statement=statement.model_dump(mode="json"),
            )
        )

    async def write(self, projection: CaseProjection | None = None) -> None:
        """Write the buffered steps (and the reporting row, when given) in one activity, with the
        calculations kept since. A calculation alone never makes a write: it rides along with the
        next one (every run writes before it closes or continues), so the case's commands are the
        same as before calculations were kept."""
        if not self.unrecorded and projection is None:
            return
        progress = CaseProgress(steps=self.unrecorded, projection=projection, statements=self.unkept)
        self.unrecorded, self.unkept = [], []
        if projection is not None:
            self.projection_owed = False
        await steps.record_statutory_steps(progress)


class CaseBook(Book):
    """The transferring side's case: its steps, and the search attributes and memo operators find
    it by, upserted when they change (so at every change of phase or term)."""

    def __init__(self, data: OutgoingTransferInput, state: CaseState, regime: Regime, clock: LegalClock) -> None:
        super().__init__(data.case.case_id, state.events)
        self.data, self.state, self.regime, self.clock = data, state, regime, clock
        self.published: dict[str, Any] = {}
        # Publish only before a wait (workflows.outgoing.PUBLISH_BEFORE_WAITS); False while a
        # history recorded before that change replays.
        self.lazy = False

    async def flush(self, with_projection: bool = False, publish: bool = True) -> None:
        """Publish what changed (unless told not to), then write the buffered steps (with the
        reporting row when asked) before the case next calls the outside world or waits."""
        if publish:
            self.publish()
        await self.write(self.projection() if with_projection else None)

    async def flush_if_pending(self) -> bool:
        """Before a long wait: publish, and write the reporting row only when steps are pending;
        True when it wrote (a step: time passed, and a report may have come in meanwhile)."""
        self.publish()
        if not self.unrecorded and not self.projection_owed:
            return False
        await self.write(self.projection())
        return True

    def owe_projection(self) -> None:
        self.projection_owed = True

    def pending(self) -> CaseProgress | None:
        """What an outside call writes before it acts (the buffered steps and calculations, and
        the reporting row when owed), kept in the buffers until `written` says the call
        succeeded; None when nothing waits. Saves the case an activity of its own (issue 14)."""
        projection = self.projection() if self.projection_owed else None
        if not self.unrecorded and projection is None:
            return None
        return CaseProgress(steps=list(self.unrecorded), projection=projection, statements=list(self.unkept))

    def written(self, progress: CaseProgress | None) -> None:
        """The call that carried `progress` succeeded: drop what it wrote. Steps noted while it
        ran (an update's consent, a report) came after it and stay."""
        if progress is None:
            return
        del self.unrecorded[: len(progress.steps)]
        del self.unkept[: len(progress.statements)]
        if progress.projection is not None:
            self.projection_owed = False

    def failed_attempts(self) -> int:
        return len(counted_failures(self.state.failure_dates))

    def projection(self) -> CaseProjection:
        state = self.state
        return CaseProjection(
            case_id=self.subject_id,
            regime=self.regime.value,
            status=state.phase.value,
            failed_attempts=self.failed_attempts(),
            next_due=state.next_due,
            next_due_article=state.next_due_article,
            outcome=state.outcome.value if state.outcome else None,
            receiving_provider=state.receiving_provider,
            waiting_for=state.waiting_for,
            settled=state.settled(self.clock.today()),
        )

    def publish(self) -> None:
        values, summary = operator_view(self.data, self.state, self.regime)
        updates = [
            key.value_set(value) if value is not None else key.value_unset()
            for key, value in values.items()
            if self.published.get(key.name, "unset") != value
        ]
        if updates:
            workflow.upsert_search_attributes(updates)
            self.published.update({key.name: value for key, value in values.items()})
        if self.published.get("summary") != summary:
            workflow.upsert_memo({"summary": summary})
            self.published["summary"] = summary

    def adopt_opening_view(self) -> None:
        """What the case was started with (`opening_view`, set by a wave) counts as published:
        a case whose first publish shows just that upserts nothing."""
        given = workflow.info().typed_search_attributes
        self.published = {key.name: given.get(key) for key in sa.ALL}
        self.published["summary"] = workflow.memo_value("summary", None)


def operator_view(
    data: OutgoingTransferInput, state: CaseState, regime: Regime
) -> tuple[dict[SearchAttributeKey[Any], Any], str]:
    """The search attributes operators find a case by (None: unset) and its one-line summary."""
    failed = len(counted_failures(state.failure_dates))
    breached = sorted(
        {event.article for event in state.events if event.type is EventType.DEADLINE_BREACHED and event.article}
    )
    values: dict[SearchAttributeKey[Any], Any] = {
        sa.PHASE: state.phase.value,
        sa.REGIME: regime.value,
        sa.PROVIDER: data.provider,
        sa.RECEIVING_PROVIDER: state.receiving_provider,
        sa.WAVE_ID: data.wave_id,
        sa.FAILED_ATTEMPTS: failed,
        sa.NEXT_DUE: state.next_due.isoformat() if state.next_due else None,
        sa.NEXT_DUE_ARTICLE: state.next_due_article,
        sa.DEADLINE_BREACHED: bool(breached),
        sa.BREACHED_ARTICLES: breached or None,
        sa.OUTCOME: state.outcome.value if state.outcome else None,
    }
    return values, summary_line(data.case.case_id, state, regime, failed)


def summary_line(case_id: str, state: CaseState, regime: Regime, failed: int) -> str:
    """One line for a person: where the case stands and what is due next."""
    parts = [f"case {case_id}", f"regime {regime.value}", state.phase.value.replace("_", " ")]
    if state.outcome:
        parts.append(f"outcome {state.outcome.value}")
    if state.waiting_for:
        parts.append(f"waiting for {state.waiting_for}")
    if state.next_due:
        parts.append(f"next: {state.next_due_article} due {state.next_due.isoformat()}")
    if failed:
        parts.append(f"{failed} failed attempt{'s' if failed != 1 else ''}")
    if state.receiving_provider:
        parts.append(f"receiving provider {state.receiving_provider}")
    return " · ".join(parts)


def opening_state(data: OutgoingTransferInput) -> tuple[CaseState, Regime]:
    """A new case as it stands when it goes the usual way (eligible, its first register query planned)."""
    regime = regime_for(data.case.participation_end)
    state = CaseState()
    due = data.wave_date if regime is Regime.EXISTING else first_query_due(data.case.participation_end)
    state.set_due(due, first_query_article(regime) if due else None)
    return state, regime


def opening_view(data: OutgoingTransferInput) -> tuple[TypedSearchAttributes, str]:
    """What a new case shows at its first publish when it goes the usual way: a starter sets
    these at the start, so operators find the case at once and the case upserts nothing until
    something changes (issue 14). A case that goes another way upserts the difference, as before."""
    state, regime = opening_state(data)
    values, summary = operator_view(data, state, regime)
    pairs = [SearchAttributePair(key, value) for key, value in values.items() if value is not None]
    return TypedSearchAttributes(pairs), summary


def opening_projection(data: OutgoingTransferInput) -> CaseProjection:
    """A new case's reporting row, written by the wave that starts it: the case is in the reports,
    and busy for its wave's back-pressure, from its start; its own first write replaces the row."""
    state, regime = opening_state(data)
    return CaseProjection(
        case_id=data.case.case_id,
        regime=regime.value,
        status=state.phase.value,
        next_due=state.next_due,
        next_due_article=state.next_due_article,
        settled=False,
    )
