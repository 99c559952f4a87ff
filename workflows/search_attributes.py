"""What operators search cases by in the Temporal UI and CLI (typed search attributes), and the
one-line summary in each case's memo. Never personal data: search attributes are not encrypted.

`wkp up` registers them on the embedded server; on a real cluster the one-off setup job does
(`deploy/`), or by hand: `temporal operator search-attribute create --name WkpPhase --type Keyword`.

WkpNextDue is a Keyword holding an ISO date: dates then compare as written,
`WkpNextDue < "2026-12-01" AND WkpPhase = "awaiting_payment"` (a Datetime attribute would need
full RFC 3339 timestamps in every query).
"""

from typing import Any

from temporalio.common import SearchAttributeKey

PHASE = SearchAttributeKey.for_keyword("WkpPhase")
REGIME = SearchAttributeKey.for_keyword("WkpRegime")
PROVIDER = SearchAttributeKey.for_keyword("WkpProvider")
RECEIVING_PROVIDER = SearchAttributeKey.for_keyword("WkpReceivingProvider")
WAVE_ID = SearchAttributeKey.for_keyword("WkpWaveId")
FAILED_ATTEMPTS = SearchAttributeKey.for_int("WkpFailedAttempts")
NEXT_DUE = SearchAttributeKey.for_keyword("WkpNextDue")
NEXT_DUE_ARTICLE = SearchAttributeKey.for_keyword("WkpNextDueArticle")
DEADLINE_BREACHED = SearchAttributeKey.for_bool("WkpDeadlineBreached")
BREACHED_ARTICLES = SearchAttributeKey.for_keyword_list("WkpBreachedArticles")
OUTCOME = SearchAttributeKey.for_keyword("WkpOutcome")

ALL: list[SearchAttributeKey[Any]] = [
    PHASE,
    REGIME,
    PROVIDER,
    RECEIVING_PROVIDER,
    WAVE_ID,
    FAILED_ATTEMPTS,
    NEXT_DUE,
    NEXT_DUE_ARTICLE,
    DEADLINE_BREACHED,
    BREACHED_ARTICLES,
    OUTCOME,
]


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` arguments registering every attribute."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}
    flags = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
