"""`wkp cluster setup`: the one-off preparation of a real Temporal cluster for the engine — the
namespace, and the search attributes operators find cases by. Idempotent: run it on every
deploy (deploy/ runs it as a Job)."""

import asyncio
from datetime import timedelta
from typing import Annotated

import typer

from backoffice.errors import user_errors
from config.settings import get_settings

app = typer.Typer(help="A real Temporal cluster: prepare it for the engine.", no_args_is_help=True)


async def ensure_namespace(client, namespace: str, retention: timedelta) -> bool:
    """Register the namespace when it does not exist; True when it was created."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
    from temporalio.service import RPCError, RPCStatusCode

    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
        return False
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    period = Duration()
    period.FromTimedelta(retention)
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace,
            workflow_execution_retention_period=period,
            description="wkp: automatic transfer of small pensions",
        )
    )
    return True


NAMESPACE_PROPAGATION_S = 60


async def when_namespace_known(action):
    """A new namespace reaches every service of the cluster through its namespace cache (some
    seconds); until then they answer NOT_FOUND. Try again until it is known, within a minute."""
    from temporalio.service import RPCError, RPCStatusCode

    deadline = asyncio.get_running_loop().time() + NAMESPACE_PROPAGATION_S
    while True:
        try:
            return await action()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND or asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(1)  # the namespace cache refreshes every few seconds


@app.command()
@user_errors
def setup(
    retention_days: Annotated[
        int, typer.Option(min=1, help="days Temporal keeps a closed case's history (export it for the archive)")
    ] = 365,
) -> None:
    """Create the namespace (WKP_NAMESPACE) if missing and register the engine's search attributes."""
    from engine import register_search_attributes, temporal_client

    settings = get_settings()

    async def main() -> tuple[bool, list[str]]:
        async with temporal_client(settings) as client:
            created = await ensure_namespace(client, settings.namespace, timedelta(days=retention_days))
            return created, await when_namespace_known(lambda: register_search_attributes(client, settings.namespace))

    created, added = asyncio.run(main())
    print(
        f"namespace {settings.namespace}: {'created' if created else 'exists'}; "
        f"search attributes added: {', '.join(added) if added else 'none (all registered)'}"
    )
