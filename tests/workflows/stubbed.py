"""The outside world of a workflow test: the register and providers stubs served over HTTP, a
time-skipping Temporal server with the engine's search attributes, and the real activities."""

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass

from starlette.types import ASGIApp
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.transfer import TransferActivities
from config.binaries import temporal_test_server
from engine import register_search_attributes
from models.scenario import AccrualSpell
from register_client.client import RegisterClient
from rules.basis import ActuarialBasis
from store.repository import Administration
from stubs.register import RegisterConfig, create_register_app
from stubs.serve import serving
from tests.conftest import TEST_CONVERTER


@dataclass
class Stubbed:
    env: WorkflowEnvironment
    activities: TransferActivities

    @property
    def client(self) -> Client:
        return self.env.client


@asynccontextmanager
async def stubbed_world(
    admin: Administration, spells: list[AccrualSpell], providers: ASGIApp, basis: ActuarialBasis
) -> AsyncIterator[Stubbed]:
    async with (
        serving(create_register_app(spells, RegisterConfig(token="T"))) as register_url,
        serving(providers) as providers_url,
        RegisterClient(register_url, "T") as register,
        await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server(), data_converter=TEST_CONVERTER
        ) as env,
    ):
        await register_search_attributes(env.client)
        async with aclosing(TransferActivities(admin, register, providers_url, basis)) as activities:
            yield Stubbed(env, activities)
