"""The operator's CSV files (`wkp admin events`, `wkp admin funding-ratio import`): read whole,
with exactly the expected columns, and their reject files written safely for a spreadsheet."""

import csv
from collections.abc import Iterable
from pathlib import Path

from models.problems import InvalidInput, Problem
from models.spreadsheet import SafeWriter


def read_table(path: Path, reject_path: Path | None, columns: list[str]) -> csv.DictReader:
    """The file's rows, or InvalidInput when it is unusable (unreadable, not UTF-8, another
    header, or its reject file would overwrite it)."""
    if reject_path is not None and reject_path.resolve() == path.resolve():
        raise InvalidInput([Problem(path="--rejects", reason="must not be the input file")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput([Problem(path=path.name, reason="cannot be read as UTF-8 text")]) from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or sorted(reader.fieldnames) != sorted(columns):
        raise InvalidInput([Problem(path=f"{path.name}: header", reason=f"must be exactly {','.join(columns)}")])
    return reader


def write_rejects(reject_path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    with open(reject_path, "w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(header)
        writer.writerows(rows)
