"""The scenario's world as the engine meets it: the administration's providers, funding ratios
and cases, and participants who answer a buy-out offer as the scenario says."""

import asyncio
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client

from models.ids import case_workflow_id
from models.ledger import LetterKind, LetterRequest, ProviderRecord, ThresholdRecord
from models.scenario import Scenario
from models.transfer import ConsentAnswer
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from stubs.register import bank_account


async def load_world(admin: Administration, scenario: Scenario) -> None:
    """The scenario's providers, funding ratios, later thresholds (each known from its day) and
    cases, as the administration holds them."""
    for year, later in scenario.later_thresholds().items():
        source = f"scenario {scenario.name}"
        await admin.record_threshold(
            ThresholdRecord(year=year, amount=later.amount, source=source, known_from=later.known_from)
        )
    await admin.upsert_provider(
        ProviderRecord(id=scenario.provider, kind="fund", bank_account=bank_account(scenario.provider))
    )
    for provider_id, profile in scenario.providers.items():
        await admin.upsert_provider(
            ProviderRecord(id=provider_id, kind=profile.kind.value, bank_account=bank_account(provider_id))
        )
    for provider_id, months in scenario.funding_ratios.items():
        for month, ratio in months.items():
            await admin.set_funding_ratio(provider_id, month, ratio)
    for period in scenario.afkoopvoet_periods():
        await admin.record_afkoopvoet(period)
    for case in scenario.cases:
        await admin.add_case(case)


@asynccontextmanager
async def temporary_administration(given: Administration | None = None) -> AsyncIterator[Administration]:
    """The administration given (kept afterwards), or a throwaway SQLite one for this run."""
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="wkp-sim-") as folder:
        url = f"sqlite:///{Path(folder) / 'administration.db'}"
        await asyncio.to_thread(migrate, url)
        admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
        try:
            yield admin
        finally:
            await admin.close()


class Participants:
    """The scenario's participants answer a buy-out offer as `consent_to_buyout` says: true or
    false through the workflow's `consent` update, null never. Connected to the client once the
    test server runs."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.client: Client | None = None

    def reply_hook(self) -> Callable[[LetterRequest], Awaitable[None]]:
        async def reply(letter: LetterRequest) -> None:
            if letter.kind is not LetterKind.BUYOUT_OFFER:
                return
            answer = self.scenario.case(letter.subject_id).consent_to_buyout
            if answer is not None and self.client is not None:
                handle = self.client.get_workflow_handle(case_workflow_id(self.scenario.provider, letter.subject_id))
                await handle.execute_update("consent", ConsentAnswer(consent=answer))

        return reply
