import csv
import io

import pytest

from models.spreadsheet import SafeWriter, safe_cell


@pytest.mark.parametrize("cell", ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_start_like_a_formula_are_text(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["C-1", "2026-01-01", 3, None, "", "a=b"])
def test_other_values_are_left_alone(cell):
    assert safe_cell(cell) == cell


def test_the_writer_applies_it_to_every_cell():
    out = io.StringIO()
    SafeWriter(out).writerows([["=cmd()", "ok", 1]])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=cmd()", "ok", "1"]
