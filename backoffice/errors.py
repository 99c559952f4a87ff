"""One-line errors for the command line: a user sees the field and the reason, never a traceback."""

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from models.problems import InvalidInput
from rules.thresholds import MissingThreshold

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BAD_INPUT = 2


def fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(EXIT_BAD_INPUT)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause into `error: <field>: <reason>` and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InvalidInput as error:
            raise fail(error.one_line()) from None
        except (MissingThreshold, LookupError, ValueError) as error:
            raise fail(str(error)) from None

    return wrapper
