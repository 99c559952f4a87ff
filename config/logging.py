"""Structured JSON logs (structlog). A BSN never reaches a log in clear text: callers log
`mask_bsn(...)`, and as a safety net every 9-digit number that passes the eleven-test is
masked in every logged string before it is written."""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from models.bsn import bsn_problem, mask_bsn

NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def _mask_text(text: str) -> str:
    return NINE_DIGITS.sub(lambda m: mask_bsn(m.group()) if bsn_problem(m.group()) is None else m.group(), text)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(item) for item in value)
    return value


def mask_bsns(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    return {key: _mask(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", stream=None) -> None:
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
