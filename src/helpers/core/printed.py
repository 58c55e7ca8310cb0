"""Numbers as printed: the text, its precision and any bound sign.

A printed number keeps what the text says about precision: ``16.00`` has two decimals, ``13.2`` one,
``<0.001`` is a bound. Checks take the whole range of true values that would print as the text
(half a unit of the last printed digit either side under rounding to nearest).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(
    r"^\s*(?P<bound><=|>=|<|>|≤|≥)?\s*(?P<num>[-+−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[-+−]?\.\d+)\s*$"
)
_BOUNDS = {"≤": "<=", "≥": ">="}


@dataclass(frozen=True)
class PrintedNumber:
    """A number parsed from its printed text."""

    text: str
    value: float
    decimals: int
    bound: str = ""  # "", "<", "<=", ">", ">="

    @property
    def unit(self) -> float:
        """The size of one unit in the last printed place (0.01 for ``12.34``)."""
        return 10.0 ** (-self.decimals)

    @property
    def is_bound(self) -> bool:
        return bool(self.bound)

    def rounding_interval(self) -> tuple[float, float]:
        """Values that print as this number under rounding to nearest: value ± half a unit.

        For a bound (``<0.001``) the interval is the open side: ``(0, 0.001)`` or ``(value, inf)``.
        """
        if self.bound in ("<", "<="):
            return (float("-inf"), self.value)
        if self.bound in (">", ">="):
            return (self.value, float("inf"))
        half = self.unit / 2
        return (self.value - half, self.value + half)


def parse_printed(text: str) -> PrintedNumber:
    """Parse printed numeric text (``"12.34"``, ``"<0.001"``, ``"1,000,000"``).

    Raises ``ValueError`` when the text is not a single number. Memoised on the text (a
    ``PrintedNumber`` is immutable, so one parse serves every caller).
    """
    if text is None:
        raise ValueError("empty")
    return _parse(str(text))


@lru_cache(maxsize=1 << 17)
def _parse(text: str) -> PrintedNumber:
    s = text.strip()
    m = _NUMBER.match(s)
    if not m:
        raise ValueError(f"'{text}' is not a number")
    bound = _BOUNDS.get(m.group("bound") or "", m.group("bound") or "")
    num = m.group("num").replace(",", "").replace("−", "-")
    try:
        dec = Decimal(num)
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise ValueError(f"'{text}' is not a number") from exc
    decimals = max(0, -dec.as_tuple().exponent)
    return PrintedNumber(text=s, value=float(dec), decimals=decimals, bound=bound)


def is_number(text: str) -> bool:
    try:
        parse_printed(text)
    except ValueError:
        return False
    return True


def format_at(value: float, decimals: int) -> str:
    """Format a recomputed value at a printed precision, rounding half away from zero."""
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding="ROUND_HALF_UP"))


def parse_int(text) -> int | None:
    """A printed whole number (``1,234`` -> 1234); None for an empty cell or NaN."""
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text).strip()
    return int(s.replace(",", "")) if s else None


def z_for_level(ci_level: str | float | None) -> float:
    """The standard normal quantile of a two-sided CI level given in percent (default 95);
    computed once per level (a quantile costs about a millisecond, and a ledger prints a few
    levels thousands of times)."""
    level = 95.0 if ci_level in (None, "") else float(parse_printed(str(ci_level)).value)
    return _z_of(level)


@lru_cache(maxsize=1024)
def _z_of(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 200.0))
