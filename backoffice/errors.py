"""One-line errors for the command line: a user sees the field and the reason, never a traceback.

`user_errors` turns what a user can get wrong into `error: <field>: <reason>` (exit 2); the
boundary around the whole CLI (`run`) turns everything else into one line too: a service that is
not there (exit 1, with what to do), or an unexpected failure named by its kind only, since its
text may hold personal data (exit 1; `--debug` or WKP_DEBUG=1 shows the traceback, masked).
"""

import asyncio
import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click
import typer
from pydantic import ValidationError

from config.logging import mask_text
from models.problems import InvalidInput, Problem, problems_from
from rules.thresholds import MissingThreshold

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 1


def fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(EXIT_BAD_INPUT)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause into `error: <field>: <reason>` and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (InvalidInput, ValidationError, MissingThreshold) as error:
            raise fail(bad_input_line(error)) from None
        except (LookupError, ValueError) as error:
            raise fail(str(error)) from None

    return wrapper


def bad_input_line(error: InvalidInput | ValidationError | MissingThreshold) -> str:
    """The one line for input a user got wrong: the field and the rule, never the value."""
    if isinstance(error, InvalidInput):
        return error.one_line()
    if isinstance(error, ValidationError):
        return validation_line(error)
    return str(error)


def validation_line(error: ValidationError) -> str:
    """A pydantic refusal as one line naming the field and the rule, never the input (pydantic's
    own text repeats it: a secret in a setting, a BSN in a field). Settings are named by their
    environment variable."""
    problems = problems_from(error)
    if error.title == "Settings":
        problems = [
            Problem(path=f"WKP_{problem.path.split('.')[0].upper()}", reason=problem.reason) for problem in problems
        ]
        return InvalidInput(problems, source="configuration").one_line()
    return InvalidInput(problems).one_line()


def unavailable(error: BaseException) -> str | None:
    """What to tell the user when `error` means a service is not there; None when it does not."""
    from temporalio.service import RPCError, RPCStatusCode

    address = os.environ.get("WKP_TEMPORAL_ADDRESS", "localhost:7233")
    temporal = (
        f"Temporal at {address} is not reachable: start it with `wkp up`, or set WKP_TEMPORAL_ADDRESS to the cluster"
    )
    if isinstance(error, RPCError) and error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return temporal
    if isinstance(error, RuntimeError) and "client connect" in str(error).lower():
        return temporal
    if type(error).__name__ == "OperationalError" and type(error).__module__.startswith("sqlalchemy"):
        return "the administration database is not reachable: check WKP_DATABASE_URL and that the server runs"
    if isinstance(error, ConnectionError | TimeoutError | asyncio.TimeoutError):
        return f"a service did not answer ({type(error).__name__}): is the stack up (`wkp up`)?"
    return None


def run(app: typer.Typer, argv: list[str] | None = None) -> None:
    """The CLI's one error boundary: every failure ends in one line on stderr, never a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("WKP_DEBUG") == "1"
    argv = [arg for arg in argv if arg != "--debug"]
    exit_now(outcome(app, argv, debug))


def outcome(app: typer.Typer, argv: list[str], debug: bool) -> int:
    """Run the command; its exit code, after one line on stderr when it failed."""
    try:
        result = app(args=argv, prog_name="wkp", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except (typer.Exit, click.exceptions.Exit) as done:
        return done.exit_code
    except (typer.Abort, click.exceptions.Abort, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr)
        return 130
    except (InvalidInput, ValidationError, MissingThreshold) as error:
        print(f"error: {mask_text(bad_input_line(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # noqa: BLE001 - the boundary: one line, whatever happened
        if usage_error(error):  # a bad option or argument: click's own message and usage line
            error.show()  # type: ignore[attr-defined]
            return EXIT_BAD_INPUT
        if debug:
            print(mask_text("".join(traceback.format_exception(error))), file=sys.stderr)
        reason = unavailable(error)
        if reason is None and isinstance(error, ValueError) and str(error).startswith("WKP_"):
            # A configuration refusal of ours: it names the variable and the rule, never the value.
            print(f"error: configuration: {mask_text(str(error))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if reason is None:
            reason = f"unexpected failure ({type(error).__name__}); run again with --debug to see where"
        print(f"error: {reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def usage_error(error: Exception) -> bool:
    """Click's usage errors, from click or from the copy typer ships (typer._click)."""
    return any(kind.__name__ == "ClickException" for kind in type(error).__mro__) and hasattr(error, "show")


def exit_now(code: int) -> None:
    """Exit without the interpreter's finalization: the Temporal SDK's core threads can outlive
    it and abort the process (`PyGILState_Release ... finalizing`, about one run in six when a
    connection failed), turning a clean one-line error into a crash dump and exit 134."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)
