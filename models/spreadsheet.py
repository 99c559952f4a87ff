"""CSV files wkp writes are opened in spreadsheets: a cell that starts like a formula (=, +, -,
@, tab, carriage return) would run as one (CSV injection). Such a cell is written with a
leading apostrophe, which a spreadsheet shows as text; every other value is left as it is."""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeWriter:
    """A csv.writer whose every cell goes through `safe_cell`."""

    def __init__(self, handle: Any) -> None:
        self.writer: RowWriter = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
