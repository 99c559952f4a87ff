"""The HTML reports' template environment (audit report, wave report): every value is escaped,
so a hostile case id or reason shows as text, never as markup, in a report that gets mailed on."""

import re

from jinja2 import Environment, PackageLoader, select_autoescape

# select_autoescape matches the name's ending: "html" alone would miss `report.html.j2`.
REPORTS = Environment(
    loader=PackageLoader("backoffice", "templates"), autoescape=select_autoescape(["html", "html.j2"])
)


def file_name(text: str) -> str:
    """A case or wave id as part of a file name: letters, digits, '.', '_' and '-' only, so an
    id like `../../x` or `<img …>` can neither leave the output folder nor break a shell."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")
    return safe or "_"
