"""`wkp inbound` and `python -m inbound.server`: the inbound door with the configured
administration, Temporal and sender tokens (WKP_INBOUND_TOKENS, never on a command line)."""

from datetime import UTC, date, datetime

from fastapi import FastAPI
from temporalio.client import Client

from codec.client import connect_client
from config.settings import Settings
from inbound.app import create_inbound_app
from inbound.cases import holidays, start_incoming_case
from inbound.receive import Receiver
from models.scenario import IncomingTransfer
from models.transfer import LegalSettings
from rules.legal_time import amsterdam_date
from store.factory import open_administration


def today() -> date:
    return amsterdam_date(datetime.now(UTC))


def create_configured_app(settings: Settings) -> FastAPI:
    admin = open_administration(settings)
    clients: list[Client] = []  # connected on the first delivery: the door answers 401s even while Temporal is down

    async def start_case(transfer: IncomingTransfer) -> None:
        if not clients:
            clients.append(await connect_client(settings))
        legal = LegalSettings(extra_holidays=await holidays(admin, settings.extra_holidays))
        await start_incoming_case(clients[0], settings.task_queue, settings.provider, transfer, legal)

    receiver = Receiver(admin=admin, provider=settings.provider, start_case=start_case, today=today)
    return create_inbound_app(receiver, settings.inbound_token_map())


def main() -> None:
    import uvicorn

    from config.logging import configure_logging
    from config.settings import get_settings
    from store.database import migrate

    configure_logging()
    settings = get_settings()
    migrate(settings.administration_url())
    uvicorn.run(
        create_configured_app(settings), host=settings.inbound_host, port=settings.inbound_port, log_level="warning"
    )


if __name__ == "__main__":
    main()
