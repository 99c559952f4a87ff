"""Validating a scenario file as a whole (scenarios/FORMAT.md), rules included."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.problems import InvalidInput, Problem, problems_from
from models.scenario import Scenario, cross_reference_problems
from rules.regime import Regime, regime_for
from rules.thresholds import MissingThreshold, ThresholdTable

EXISTING_TRANSFERS_FROM = date(2020, 1, 1)  # Besluit 17f.1.a: existing small pensions from 2020


def read_json(path: Path) -> Any:
    """Read a JSON file with amounts as Decimal; a missing or broken file is an InvalidInput."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput([Problem(path="", reason="file not found")], source=str(path)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise InvalidInput(
            [Problem(path="", reason=f"cannot be read ({error.__class__.__name__})")], source=str(path)
        ) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        reason = f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        raise InvalidInput([Problem(path="", reason=reason)], source=str(path)) from None
    except RecursionError:
        raise InvalidInput([Problem(path="", reason="not valid JSON: nested too deeply")], source=str(path)) from None


def rule_problems(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    try:
        thresholds = ThresholdTable(scenario.all_thresholds())
    except ValueError as error:
        path, _, reason = str(error).partition(": ")
        return [Problem(path=path, reason=reason)]

    planned = {case_id for wave in scenario.plan.waves for case_id in wave.case_ids}
    for i, case in enumerate(scenario.cases):
        try:
            thresholds.for_participation_end(case.participation_end)
        except MissingThreshold as missing:
            problems.append(
                Problem(
                    path=f"cases[{i}].participation_end",
                    reason=f"no small-pension threshold (PW 66) for {missing.year}; add it under thresholds",
                )
            )
        existing = regime_for(case.participation_end) is Regime.EXISTING
        if existing and case.case_id not in planned:
            problems.append(
                Problem(path=f"cases[{i}]", reason="an existing small pension (Besluit 17f) needs a wave in plan.waves")
            )
        if not existing and case.case_id in planned:
            problems.append(
                Problem(
                    path=f"cases[{i}]", reason="only existing small pensions (ended before 2017) go in the 17f plan"
                )
            )
    for w, wave in enumerate(scenario.plan.waves):
        if wave.date < EXISTING_TRANSFERS_FROM:
            problems.append(
                Problem(path=f"plan.waves[{w}].date", reason="the 17f plan runs from 2020-01-01 (Besluit 17f.1.a)")
            )
    return problems


def validate_scenario(raw: Any, source: str = "") -> Scenario:
    """A valid scenario, or InvalidInput listing every problem (field path and reason)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(problems_from(error), source=source) from None
    problems = cross_reference_problems(scenario) + rule_problems(scenario)
    if problems:
        raise InvalidInput(problems, source=source)
    return scenario


def load_scenario(path: Path) -> Scenario:
    return validate_scenario(read_json(path), source=str(path))
