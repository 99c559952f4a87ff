"""One Temporal runtime for the process, with the core (Rust) logging only errors: its console
output would otherwise mix warnings into stdout, where `wkp simulate` writes its JSON lines.

Logs are filtered, not forwarded to Python logging: forwarding calls into Python from a Rust
thread, which crashed the interpreter at exit once (PyGILState_Release while finalizing)."""

from functools import lru_cache

from temporalio.runtime import LoggingConfig, PrometheusConfig, Runtime, TelemetryConfig, TelemetryFilter


@lru_cache
def quiet_runtime() -> Runtime:
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def metrics_runtime(host: str, port: int) -> Runtime:
    """The worker's runtime when it exposes Prometheus metrics on host:port (WKP_METRICS_PORT)."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")),
            metrics=PrometheusConfig(bind_address=f"{host}:{port}"),
        )
    )
