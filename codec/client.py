"""A Temporal client whose payloads are encrypted before they leave the process: the worker, the
CLI and the inbound door connect through it."""

from temporalio.client import Client
from temporalio.runtime import Runtime

from codec.converter import encrypted_converter
from codec.encryption import configured_key_ring
from config.settings import Settings


async def connect_client(settings: Settings, runtime: Runtime | None = None) -> Client:
    # The default runtime: a custom one's threads outlived the interpreter at exit once
    # (PyGILState_Release while finalizing). Only `wkp simulate` needs the quiet one, and a
    # worker that exposes metrics its own (config.temporal_runtime.metrics_runtime).
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.namespace,
        data_converter=encrypted_converter(configured_key_ring(settings)),
        runtime=runtime,
    )
