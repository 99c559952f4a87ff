"""Structured JSON logs (structlog). A BSN never reaches a log in clear text: callers log
`mask_bsn(...)`, and as a safety net every 9-digit number that passes the eleven-test is
masked in every logged string before it is written."""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from models.bsn import mask_text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes):
        return mask_text(value.decode("utf-8", "replace"))
    if isinstance(value, int) and not isinstance(value, bool):
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {_mask(key): _mask(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_mask(item) for item in value]  # masked items may collide: a set would lose them
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(item) for item in value)
    if isinstance(value, (float, bool)) or value is None:
        return value
    return mask_text(repr(value))


class MaskBsns(logging.Filter):
    """The same safety net for everything logged through the standard library (the Temporal SDK,
    httpx, uvicorn, alembic): the message is rendered first, then masked, on every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def mask_stdlib_logging() -> None:
    """Put the mask on the root logger's handlers (and on any handler added later through
    `logging.basicConfig`) so no handler writes a clear BSN."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(existing, MaskBsns) for existing in handler.filters):
            handler.addFilter(MaskBsns())


def mask_bsns(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    return {key: _mask(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", stream=None) -> None:
    mask_stdlib_logging()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_bsns,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(**bound: Any) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger().bind(**bound)
