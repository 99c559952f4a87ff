"""The wave report for management and the regulator: HTML (counts, statutory terms met and
breached per article, a chart of cases over time, the breaches) and a CSV of every case."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from backoffice.html import REPORTS, file_name
from models.ledger import AuditStep, CaseProjection
from models.spreadsheet import SafeWriter


@dataclass
class WaveReport:
    wave_id: str
    made_on: date
    cases: list[CaseProjection]
    members: int
    states: dict[str, int]
    terms: list[tuple[str, int, int]]  # article, met, breached
    breaches: list[AuditStep]
    # month -> (register queries, payments, cases closed): the wave's progress over time
    per_month: list[tuple[str, int, int, int]] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)  # what waiting cases wait for, and how many

    @property
    def chart_max(self) -> int:
        return max([max(counts) for _, *counts in self.per_month] or [1])


CHART_SERIES = (
    ("queried", "register queries", "#2a6fb0"),
    ("paid", "payments", "#3a9a4a"),
    ("closed", "cases closed", "#888"),
)


def build_report(
    wave_id: str, made_on: date, members: int, cases: list[CaseProjection], trail: list[AuditStep]
) -> WaveReport:
    states = Counter(case.outcome or case.status for case in cases)
    if members > len(cases):
        states["not_started"] = members - len(cases)
    breached = [step for step in trail if step.step == "deadline_breached"]
    breached_count = Counter(step.article for step in breached)
    # A step with a due date that was not breached met its term (Besluit 24 records the others).
    met = Counter(
        step.article
        for step in trail
        if step.due is not None and step.step != "deadline_breached" and step.actual <= step.due
    )
    terms = [(article, met[article], breached_count[article]) for article in sorted(set(met) | set(breached_count))]

    def monthly(step_name: str) -> Counter:
        return Counter(step.actual.strftime("%Y-%m") for step in trail if step.step == step_name)

    queried, paid, closed = monthly("register_query"), monthly("payment"), monthly("closed")
    months = sorted(set(queried) | set(paid) | set(closed))
    return WaveReport(
        wave_id=wave_id,
        made_on=made_on,
        cases=cases,
        members=members,
        states=dict(states.most_common()),
        terms=terms,
        breaches=breached,
        per_month=[(m, queried[m], paid[m], closed[m]) for m in months],
        waiting=dict(Counter(case.waiting_for for case in cases if case.waiting_for).most_common()),
    )


def write_report(report: WaveReport, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"wave-{file_name(report.wave_id)}.html"
    html.write_text(REPORTS.get_template("wave_report.html.j2").render(r=report, series=CHART_SERIES))
    table = folder / f"wave-{file_name(report.wave_id)}.csv"
    with open(table, "w", newline="") as handle:
        writer = SafeWriter(handle)
        writer.writerow(
            [
                "case_id",
                "regime",
                "status",
                "outcome",
                "failed_attempts",
                "next_due",
                "next_due_article",
                "receiving_provider",
                "waiting_for",
            ]
        )
        for case in report.cases:
            writer.writerow(
                [
                    case.case_id,
                    case.regime,
                    case.status,
                    case.outcome or "",
                    case.failed_attempts,
                    case.next_due or "",
                    case.next_due_article or "",
                    case.receiving_provider or "",
                    case.waiting_for or "",
                ]
            )
    return html, table
