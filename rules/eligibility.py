"""Is a case in scope of automatic transfer (PW 70a), or does it lapse (PW 55.6)?"""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from models.case import PensionCase
from models.money import Money
from rules.thresholds import ThresholdTable

LAPSE_LIMIT = Decimal("2.00")  # PW 55.6: €2 a year or less lapses


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    LAPSED = "lapsed"
    NOT_ELIGIBLE = "not_eligible"


class IneligibleReason(StrEnum):
    ABOVE_THRESHOLD = "above_threshold"
    NET_PENSION = "net_pension"


class Eligibility(BaseModel):
    verdict: Verdict
    reason: IneligibleReason | None = None
    article: str
    threshold: Money
    threshold_year: int


def assess(case: PensionCase, thresholds: ThresholdTable) -> Eligibility:
    """Decide in the order the law applies at the end of participation:
    1. PW 55.6: €2.00 a year or less lapses, unless the participant moved to another EU member
       state and said so when participation ended;
    2. PW 70a / Besluit 25.3: a net pension (nettopensioen) never moves;
    3. PW 66 / 70a: the pension must be strictly below the threshold.
    The threshold is looked up first so that a missing year fails loudly for every case.
    """
    threshold = thresholds.for_participation_end(case.participation_end)
    year = case.participation_end.year

    def verdict(verdict: Verdict, article: str, reason: IneligibleReason | None = None) -> Eligibility:
        return Eligibility(verdict=verdict, reason=reason, article=article, threshold=threshold, threshold_year=year)

    if case.old_age_pension <= LAPSE_LIMIT and not case.emigrated_eu_notified:
        return verdict(Verdict.LAPSED, "55.6")
    if case.net_pension:
        return verdict(Verdict.NOT_ELIGIBLE, "70a", IneligibleReason.NET_PENSION)
    if case.old_age_pension >= threshold:
        return verdict(Verdict.NOT_ELIGIBLE, "70a", IneligibleReason.ABOVE_THRESHOLD)
    return verdict(Verdict.ELIGIBLE, "70a")
