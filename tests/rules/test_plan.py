from datetime import date

import pytest

from rules.calendar import LegalCalendar
from rules.plan import phased_plan

CASES = [(f"E-{i:02d}", date(2014, 1, 31)) for i in range(25)] + [
    ("N-1", date(2021, 3, 31)),
    ("T-1", date(2017, 6, 30)),
]


def test_only_existing_small_pensions_in_waves_spaced_by_register_capacity():
    plan = phased_plan("PF-A", CASES, start=date(2021, 9, 4), wave_size=10, queries_per_day=5, calendar=LegalCalendar())
    assert [len(w.case_ids) for w in plan.waves] == [10, 10, 5]
    assert all(case_id.startswith("E-") for w in plan.waves for case_id in w.case_ids)
    # 2021-09-04 is a Saturday: the first wave is Monday 6 September; 10 cases at 5 a day take
    # two working days, so the next waves are on 8 and 10 September.
    assert [w.date for w in plan.waves] == [date(2021, 9, 6), date(2021, 9, 8), date(2021, 9, 10)]
    assert [w.wave_id for w in plan.waves] == ["17F-001", "17F-002", "17F-003"]


def test_the_plan_cannot_start_before_2020():
    with pytest.raises(ValueError, match="2020-01-01"):
        phased_plan("PF-A", CASES, start=date(2019, 12, 31), wave_size=10, queries_per_day=5, calendar=LegalCalendar())
