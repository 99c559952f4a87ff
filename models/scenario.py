"""The scenario file of `wkp simulate` (scenarios/FORMAT.md): a small world and one provider's cases.

Parsing happens in two stages so that a user sees every problem at once:
1. field by field (pydantic): types, BSNs, money, dates, unknown fields;
2. across fields (`cross_reference_problems`): unknown providers, duplicates, dates out of order.
The rule-based checks (a needed threshold missing, the 17f plan) live in `rules.scenario`,
because models may not import the rules.
"""

import re
from collections import Counter
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.afkoopvoet import AfkoopvoetPeriod, Age, Factor
from models.bsn import Bsn
from models.case import PensionCase
from models.dates import LegalDate
from models.money import Money
from models.problems import Problem
from models.provider import ProviderProfile
from models.reports import CaseReport, RequestKind

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
YEAR = re.compile(r"\d{4}")

FundingRatio = Annotated[Decimal, Field(gt=0, lt=10, description="policy funding ratio, 1.00 = 100%")]


class AccrualSpell(BaseModel):
    """A spell of active accrual at a provider, as the pension register knows it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    bsn: Bsn
    provider: str
    from_: LegalDate = Field(alias="from")
    to: LegalDate | None = None


class Wave(BaseModel):
    """One wave of the phased plan for existing small pensions (Besluit 17f.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    date: LegalDate
    case_ids: list[str]


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waves: list[Wave] = Field(default_factory=list)


class IncomingTransfer(BaseModel):
    """A transfer value another provider pays to the engine's provider (receiving role, 17e.5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transfer_id: str = Field(min_length=1, max_length=64)
    from_provider: str
    bsn: Bsn
    birth_date: LegalDate
    amount: Money
    received: LegalDate


class ScenarioReport(BaseModel):
    """What the administration learns about a case on day `on` (FORMAT.md `reports`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    on: LegalDate
    death_date: LegalDate | None = None
    pension_date: LegalDate | None = None
    request: RequestKind | None = None

    def as_report(self) -> CaseReport:
        """The report as every path delivers it (models.reports); its exactly-one rule too."""
        return CaseReport(
            death_date=self.death_date,
            pension_date=self.pension_date,
            request=self.request,
            learned_on=self.on,
            reported_by="simulation",
        )


class LaterThreshold(BaseModel):
    """A threshold an operator records only on `known_from`: cases that need it wait until then."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Money
    known_from: LegalDate


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    start: LegalDate
    until: LegalDate
    thresholds: dict[str, Money | LaterThreshold] = Field(default_factory=dict)
    register_down: list[tuple[LegalDate, LegalDate]] = Field(
        default_factory=list, description="periods (from, to inclusive) the register answers 503"
    )
    extra_holidays: list[LegalDate] = Field(default_factory=list)
    providers: dict[str, ProviderProfile] = Field(default_factory=dict)
    funding_ratios: dict[str, dict[str, FundingRatio]] = Field(default_factory=dict)
    # `register` in the file; renamed here because BaseModel already has a `register` attribute.
    accrual_spells: list[AccrualSpell] = Field(default_factory=list, alias="register")
    plan: Plan = Field(default_factory=Plan)
    cases: list[PensionCase] = Field(default_factory=list)
    incoming: list[IncomingTransfer] = Field(default_factory=list)
    reports: list[ScenarioReport] = Field(default_factory=list)
    # The provider's afkoopvoet (Besluit 16) from a date on: one factor, or one per age. None
    # given: the illustrative table that ships with wkp.
    afkoopvoet: dict[LegalDate, Factor | dict[Age, Factor]] | None = None

    def afkoopvoet_periods(self) -> list[AfkoopvoetPeriod]:
        """The scenario's afkoopvoet as periods: each in force until the next one begins."""
        periods = []
        for valid_from, table in sorted((self.afkoopvoet or {}).items()):
            factors = {"by_age": table} if isinstance(table, dict) else {"flat": table}
            periods.append(AfkoopvoetPeriod(valid_from=valid_from, source=f"scenario {self.name}", **factors))
        return periods

    def known_thresholds(self) -> dict[int, Decimal]:
        """Thresholds known from the start (plain amounts)."""
        return {int(year): value for year, value in self.thresholds.items() if isinstance(value, Decimal)}

    def later_thresholds(self) -> dict[int, LaterThreshold]:
        """Thresholds recorded by an operator on their `known_from` day."""
        return {int(year): value for year, value in self.thresholds.items() if isinstance(value, LaterThreshold)}

    def all_thresholds(self) -> dict[int, Decimal]:
        return {**self.known_thresholds(), **{year: t.amount for year, t in self.later_thresholds().items()}}

    @field_validator("thresholds")
    @classmethod
    def threshold_years(cls, value: dict[str, Decimal | LaterThreshold]) -> dict[str, Decimal | LaterThreshold]:
        for year in value:
            if not YEAR.fullmatch(year):
                raise ValueError(f"key {year!r} is not a calendar year (YYYY)")
        return value

    @field_validator("funding_ratios")
    @classmethod
    def ratio_months(cls, value: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        for months in value.values():
            for month in months:
                if not MONTH.fullmatch(month):
                    raise ValueError(f"key {month!r} is not a month (YYYY-MM)")
        return value

    def known_providers(self) -> set[str]:
        return {self.provider, *self.providers}

    def case(self, case_id: str) -> PensionCase:
        return next(case for case in self.cases if case.case_id == case_id)


def duplicates(values: list[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def cross_reference_problems(scenario: Scenario) -> list[Problem]:
    """Problems across fields of an otherwise well-formed scenario."""
    problems: list[Problem] = []

    def add(path: str, reason: str) -> None:
        problems.append(Problem(path=path, reason=reason))

    known = scenario.known_providers()
    if scenario.until <= scenario.start:
        add("until", f"must be after start ({scenario.start})")
    if scenario.provider in scenario.providers:
        add(f"providers.{scenario.provider}", "is the provider running the engine, not another provider")
    for i, (down_from, down_to) in enumerate(scenario.register_down):
        if down_to < down_from:
            add(f"register_down[{i}]", "the end of a down period is before its start")

    for provider in scenario.funding_ratios:
        if provider not in known:
            add(f"funding_ratios.{provider}", "unknown provider")
        elif provider in scenario.providers and scenario.providers[provider].kind != "fund":
            kind = scenario.providers[provider].kind.value
            add(f"funding_ratios.{provider}", f"is an {kind}; only a fund has a funding ratio (PW 72)")

    for i, spell in enumerate(scenario.accrual_spells):
        if spell.provider not in known:
            add(f"register[{i}].provider", f"unknown provider {spell.provider!r}")
        if spell.to is not None and spell.to < spell.from_:
            add(f"register[{i}].to", f"is before from ({spell.from_})")

    for case_id in sorted(duplicates([case.case_id for case in scenario.cases])):
        add("cases", f"duplicate case_id {case_id!r}")
    for transfer_id in sorted(duplicates([t.transfer_id for t in scenario.incoming])):
        add("incoming", f"duplicate transfer_id {transfer_id!r}")
    for wave_id in sorted(duplicates([wave.id for wave in scenario.plan.waves])):
        add("plan.waves", f"duplicate wave id {wave_id!r}")

    case_ids = {case.case_id for case in scenario.cases}
    planned = [case_id for wave in scenario.plan.waves for case_id in wave.case_ids]
    for case_id in sorted(duplicates(planned)):
        add("plan.waves", f"case {case_id!r} is in more than one wave")
    for w, wave in enumerate(scenario.plan.waves):
        for case_id in wave.case_ids:
            if case_id not in case_ids:
                add(f"plan.waves[{w}].case_ids", f"unknown case {case_id!r}")

    for i, report in enumerate(scenario.reports):
        if report.case_id not in case_ids:
            add(f"reports[{i}].case_id", f"unknown case {report.case_id!r}")
        if not scenario.start <= report.on <= scenario.until:
            add(f"reports[{i}].on", f"is outside the scenario ({scenario.start} to {scenario.until})")
        if report.death_date is not None and report.death_date > report.on:
            add(f"reports[{i}].death_date", "is after the day it was learned (on)")
        given = [f for f in ("death_date", "pension_date", "request") if getattr(report, f) is not None]
        if len(given) != 1:
            add(f"reports[{i}]", "gives exactly one of death_date, pension_date or request")

    for i, transfer in enumerate(scenario.incoming):
        if transfer.from_provider not in scenario.providers:
            add(f"incoming[{i}].from_provider", f"unknown provider {transfer.from_provider!r}")
        if not scenario.start <= transfer.received <= scenario.until:
            add(f"incoming[{i}].received", f"is outside the scenario ({scenario.start} to {scenario.until})")
        if transfer.received <= transfer.birth_date:
            add(f"incoming[{i}].received", "is not after birth_date")
    return problems
