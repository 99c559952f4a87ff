"""Letters to participants, rendered from Dutch templates; each cites its article.

Templates use StrictUndefined: a letter with a missing value fails loudly rather than being
sent with a gap in it.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from models.ledger import LETTER_ARTICLE, LetterKind

MONTHS_NL = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


def datum(value: date | str) -> str:
    """A date in Dutch: 1 april 2022."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def euro(value: Decimal | str | float) -> str:
    """An amount in Dutch notation: € 1.234,56."""
    text = f"{Decimal(str(value)):,.2f}"
    return "€ " + text.replace(",", "_").replace(".", ",").replace("_", ".")


def percent(value: Decimal | str | float) -> str:
    """A rate as a percentage with two decimals: 0.015 -> 1.50 (a JSON context holds it as text)."""
    return f"{Decimal(str(value)) * 100:.2f}"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("letters", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text letters
    )
    environment.filters["datum"] = datum
    environment.filters["euro"] = euro
    environment.filters["percent"] = percent
    return environment


ENVIRONMENT = _environment()


def render_letter(kind: LetterKind, context: dict[str, Any]) -> str:
    template = ENVIRONMENT.get_template(f"{kind.value}.txt.j2")
    return template.render(article=LETTER_ARTICLE[kind], **context)
