"""The HTML reports' template environment (audit report, wave report): every value is escaped,
so a hostile case id or reason shows as text, never as markup, in a report that gets mailed on."""

from jinja2 import Environment, PackageLoader, select_autoescape

# select_autoescape matches the name's ending: "html" alone would miss `report.html.j2`.
REPORTS = Environment(
    loader=PackageLoader("backoffice", "templates"), autoescape=select_autoescape(["html", "html.j2"])
)
