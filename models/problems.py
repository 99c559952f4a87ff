"""Input problems a user can cause, each naming the field (as a path) and the reason."""

import re
from collections.abc import Iterable

from pydantic import BaseModel, ValidationError

FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*): (.+)$", re.DOTALL)


class Problem(BaseModel):
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class InvalidInput(ValueError):
    """Raised with every problem found, so a user can mend a file in one go."""

    def __init__(self, problems: Iterable[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        head = f"{self.source}: " if self.source else ""
        return head + "; ".join(str(problem) for problem in self.problems)


def format_path(loc: Iterable[str | int]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problems_from(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    """Turn pydantic's errors into problems. A model-level check that starts its message with
    `field: ` (the convention in this package) is reported at that field."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = prefix + tuple(detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "is not a known field"
        elif detail["type"] == "missing":
            message = "is required"
        match = FIELD_PREFIX.match(message)
        if match and detail["type"] == "value_error":
            loc, message = loc + (match.group(1),), match.group(2)
        problems.append(Problem(path=format_path(loc), reason=message))
    return problems
