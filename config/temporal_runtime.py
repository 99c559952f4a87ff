"""One Temporal runtime for the process: core (Rust) logs go to Python logging on stderr, never
to stdout, where `wkp simulate` writes its JSON lines."""

import logging
from functools import lru_cache

from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter


@lru_cache
def quiet_runtime() -> Runtime:
    core_logger = logging.getLogger("temporalio.core")
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=core_logger),
            )
        )
    )
