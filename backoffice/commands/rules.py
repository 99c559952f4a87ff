"""`wkp rules`: the rulebook on the command line."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from backoffice.errors import fail, user_errors
from backoffice.options import parse_date
from config.settings import get_settings
from models.case import PensionCase
from models.problems import InvalidInput, problems_from
from rules.explain import CaseExplanation, explain_case
from rules.scenario import read_json

app = typer.Typer(help="The law as the engine applies it: explain a case, compute a due date.", no_args_is_help=True)


def load_case(path: Path) -> PensionCase:
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InvalidInput([], source=f"{path}: must hold one case as a JSON object")
    try:
        return PensionCase.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(problems_from(error), source=str(path)) from None


def print_explanation(explanation: CaseExplanation) -> None:
    e = explanation
    outcome = e.outcome.value + (f" ({e.reason.value})" if e.reason else "")
    print(f"Case {e.case_id} as of {e.on}")
    print(f"  regime:              Besluit {e.regime.value}")
    print(f"  outcome:             {outcome}  [art. {e.article}]")
    print(f"  threshold used:      EUR {e.threshold:.2f} ({e.threshold_year}, PW 66)")
    if e.first_query_article:
        due = e.first_query_due or "the date the 17f phased plan gives the case's wave"
        print(f"  first register query: due {due}  [art. {e.first_query_article}]")
    if e.notices:
        print(f"  participant informed first: art. {', '.join(e.notices)}")
    if e.buyout_options:
        print(f"  earliest buy-out:    {e.earliest_buyout_date or 'none fixed by law'}")
        for option in e.buyout_options:
            print(f"    - {option.from_date or 'no fixed date'}: {option.condition}  [art. {option.article}]")
    if e.transfer_value:
        print("  transfer value statement (Besluit 17e.7):")
        for line in e.transfer_value.lines():
            print(f"    {line}")
    elif e.transfer_value_note:
        print(f"  {e.transfer_value_note}")


@app.command()
@user_errors
def explain(
    case_file: Annotated[Path, typer.Argument(metavar="CASE.json", help="one case, as in scenarios/FORMAT.md")],
    on: Annotated[
        str | None, typer.Option("--on", help="date of the transfer value statement (default: today)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """Regime, outcome, threshold, first query due date, buy-out routes and transfer value of a case."""
    on_date = parse_date(on, "--on") if on else date.today()
    settings = get_settings()
    case = load_case(case_file)
    explanation = explain_case(case, on_date, settings.threshold_table(), settings.actuarial_basis())
    if as_json:
        print(explanation.model_dump_json(indent=2))
    else:
        print_explanation(explanation)


@app.command()
@user_errors
def due(
    after: Annotated[str, typer.Option("--after", help="the day the term starts from (day 0)")],
    working_days: Annotated[int | None, typer.Option("--working-days", min=0)] = None,
    months: Annotated[int | None, typer.Option("--months", min=0)] = None,
    years: Annotated[int | None, typer.Option("--years", min=0)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """The due date of a statutory term (Atw): N working days, N months or N years after a date."""
    start = parse_date(after, "--after")
    given = {
        name: value
        for name, value in (("working_days", working_days), ("months", months), ("years", years))
        if value is not None
    }
    if len(given) != 1:
        raise fail("give exactly one of --working-days, --months, --years")
    ((unit, count),) = given.items()
    calendar = get_settings().legal_calendar()
    rule = {
        "working_days": (calendar.add_working_days, "Atw 3: Saturdays, Sundays and holidays do not count"),
        "months": (
            calendar.within_months,
            "Atw 1: a due date on a Saturday, Sunday or holiday moves to the next working day",
        ),
        "years": (calendar.within_years, "Atw 4: a term in years does not move"),
    }
    compute, basis = rule[unit]
    due_date = compute(start, count)
    if as_json:
        print(
            json.dumps(
                {"after": start.isoformat(), "unit": unit, "count": count, "due": due_date.isoformat(), "rule": basis}
            )
        )
    else:
        print(f"{due_date}  ({count} {unit.replace('_', ' ')} after {start}; {basis})")
