"""Text helpers shared by every module: one rule for slugs.

A slug is the lower-case form of a label used in ledger quantity keys and patient-file column
names (``data/published/README.md``): ``>=`` (or ``≥``) becomes ``ge``, ``<=`` (or ``≤``) ``le``,
``<`` ``lt``, and every other run of characters that is not a letter or digit becomes ``_``
(``"Hb < 10 g/dL"`` -> ``hb_lt_10_g_dl``, ``"WBC >=4×10^9/L"`` -> ``wbc_ge4_10_9_l``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slug(text) -> str:
    """Lower-case slug of ``text``: ``>=`` -> ``ge``, ``<=`` -> ``le``, ``<`` -> ``lt``, anything
    else that is not a letter or digit -> ``_`` (leading and trailing ``_`` removed)."""
    return _slug(str(text))


@lru_cache(maxsize=1 << 17)
def _slug(text: str) -> str:
    t = text.strip().lower()
    t = t.replace(">=", "ge").replace("≥", "ge").replace("<=", "le").replace("≤", "le")
    t = t.replace("<", "lt")
    return _NOT_ALNUM.sub("_", t).strip("_")
