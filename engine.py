"""The engine's parts built from configuration: the Temporal client and the activities."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.transfer import TransferActivities
from config.settings import Settings
from config.temporal_runtime import quiet_runtime
from register_client.client import RegisterClient
from store.factory import open_administration


async def connect_client(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address, namespace=settings.namespace, data_converter=pydantic_data_converter, runtime=quiet_runtime()
    )


def make_activities(settings: Settings) -> TransferActivities:
    return TransferActivities(
        admin=open_administration(settings),
        register=RegisterClient(settings.register_url, settings.register_token),
        providers_url=settings.providers_url,
        basis=settings.actuarial_basis(),
        default_funding_ratio=settings.default_funding_ratio,
    )
