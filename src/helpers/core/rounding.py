"""Rounding rules, and what a printed number says about the true value behind it.

A printed percentage ``12.4`` with one decimal stands for any true value that prints as ``12.4``
under the rule the authors used. Three rules are in common use:

* ``half_up``    round half away from zero (what most people and SPSS/Excel do);
* ``half_even``  round half to even ("banker's rounding": R's ``round``, IEC 60559);
* ``truncate``   drop the digits beyond the printed precision (some hand calculations).

All arithmetic here is exact (``fractions.Fraction``): ``k/n`` is never a binary float, so a value
exactly on a rounding boundary is decided by the rule, not by float noise.

References: Brown NJL, Heathers JAJ (2017) The GRIM test, Soc Psychol Personal Sci 8:363-369 (the
granularity argument used for percentages here); Jung L (2023) scrutiny: error detection in science
(R package) for the rule names and the idea of testing each rule separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from .printed import PrintedNumber, parse_printed

RULES = ("half_up", "half_even", "truncate")
PREFERENCE = RULES          # order used to break ties when inferring a study's rule


def check_rule(rule: str) -> str:
    """Return ``rule`` if it is one of :data:`RULES`, else stop with a clear message."""
    if rule not in RULES:
        raise ValueError(f"rounding rule '{rule}' is not one of {list(RULES)}")
    return rule


def _printed(text: str | PrintedNumber) -> PrintedNumber:
    return text if isinstance(text, PrintedNumber) else parse_printed(str(text))


def exact(text: str | PrintedNumber) -> Fraction:
    """The printed value as an exact fraction (``"12.40"`` -> 124/10)."""
    p = _printed(text)
    return Fraction(Decimal(p.text.lstrip("<>=≤≥ ").replace(",", "").replace("−", "-")))


def round_exact(x: Fraction | int, decimals: int, rule: str) -> Fraction:
    """Round an exact value to ``decimals`` places under ``rule`` (symmetric about zero)."""
    check_rule(rule)
    scale = Fraction(10) ** decimals
    s = Fraction(x) * scale
    sign = -1 if s < 0 else 1
    a = abs(s)
    floor = math.floor(a)
    rem = a - floor
    if rule == "truncate":
        q = floor
    elif rule == "half_up":
        q = floor + (1 if rem >= Fraction(1, 2) else 0)
    else:  # half_even
        q = floor + (1 if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and floor % 2 == 1) else 0)
    return sign * q / scale


def format_exact(x: Fraction | int | float, decimals: int, rule: str = "half_up") -> str:
    """``x`` rounded under ``rule`` and written with exactly ``decimals`` decimals."""
    value = round_exact(Fraction(x), decimals, rule)
    text = f"{Decimal(value.numerator) / Decimal(value.denominator):.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and value == 0 else text


@dataclass(frozen=True)
class Interval:
    """The true values consistent with a printed number: ``low``..``high`` with closed/open ends."""

    low: Fraction | float
    high: Fraction | float
    low_closed: bool
    high_closed: bool

    def contains(self, x) -> bool:
        x = Fraction(x) if not isinstance(x, float) else x
        above = x > self.low or (self.low_closed and x == self.low)
        below = x < self.high or (self.high_closed and x == self.high)
        return above and below

    def overlaps(self, other: "Interval") -> bool:
        """Whether some value lies in both intervals."""
        lo, lo_closed = ((self.low, self.low_closed) if self.low > other.low else
                         (other.low, other.low_closed) if other.low > self.low else
                         (self.low, self.low_closed and other.low_closed))
        hi, hi_closed = ((self.high, self.high_closed) if self.high < other.high else
                         (other.high, other.high_closed) if other.high < self.high else
                         (self.high, self.high_closed and other.high_closed))
        return lo < hi or (lo == hi and lo_closed and hi_closed)

    def __add__(self, other: "Interval") -> "Interval":
        return Interval(self.low + other.low, self.high + other.high,
                        self.low_closed and other.low_closed, self.high_closed and other.high_closed)

    def scaled(self, factor) -> "Interval":
        """The interval multiplied by a positive factor."""
        f = Fraction(factor)
        return Interval(self.low * f, self.high * f, self.low_closed, self.high_closed)

    def as_text(self, decimals: int = 4) -> str:
        lb = "[" if self.low_closed else "("
        rb = "]" if self.high_closed else ")"
        return f"{lb}{float(self.low):.{decimals}f}, {float(self.high):.{decimals}f}{rb}"


def interval(text: str | PrintedNumber, rule: str) -> Interval:
    """The interval of true values that print as ``text`` under ``rule``.

    ``half_up``: [v - u/2, v + u/2) for v >= 0 (mirrored below zero); ``half_even``: both ends
    closed when the last digit is even, both open when it is odd; ``truncate``: [v, v + u) for
    v >= 0 (mirrored below zero; ``0`` covers (-u, u)). ``u`` is one unit of the last printed digit.
    A bound such as ``<0.001`` gives the open side, whatever the rule.
    """
    check_rule(rule)
    p = _printed(text)
    v = exact(p)
    if p.bound in ("<", "<="):
        return Interval(-math.inf, v, False, p.bound == "<=")
    if p.bound in (">", ">="):
        return Interval(v, math.inf, p.bound == ">=", False)
    u = Fraction(1, 10 ** p.decimals)
    half = u / 2
    if rule == "truncate":
        if v > 0:
            return Interval(v, v + u, True, False)
        if v < 0:
            return Interval(v - u, v, False, True)
        return Interval(-u, u, False, False)
    if rule == "half_up":
        if v >= 0:
            return Interval(v - half, v + half, True, False) if v > 0 else Interval(-half, half, False, False)
        return Interval(v - half, v + half, False, True)
    last_digit_even = (abs(v) / u) % 2 == 0
    return Interval(v - half, v + half, last_digit_even, last_digit_even)


def prints_as(numerator: int, denominator: int, text: str | PrintedNumber, rule: str,
              scale: int = 100) -> bool:
    """Whether ``scale * numerator / denominator`` prints as ``text`` under ``rule`` at the printed
    precision (for a percentage, ``scale`` = 100)."""
    p = _printed(text)
    if p.bound:
        return interval(p, rule).contains(Fraction(scale * numerator, denominator))
    return round_exact(Fraction(scale * numerator, denominator), p.decimals, rule) == exact(p)


def rules_for(numerator: int, denominator: int, text: str | PrintedNumber,
              scale: int = 100) -> tuple[str, ...]:
    """The rules under which ``scale * numerator / denominator`` prints as ``text``.

    Memoised: a large ledger asks the same question (the same count, n and text) many times."""
    try:
        return _rules_for(numerator, denominator, text, scale)
    except TypeError:                       # an unhashable argument: compute without the cache
        return _rules_for.__wrapped__(numerator, denominator, text, scale)


@lru_cache(maxsize=1 << 16)
def _rules_for(numerator, denominator, text, scale) -> tuple[str, ...]:
    return tuple(r for r in RULES if prints_as(numerator, denominator, text, r, scale))


def is_tie(numerator: int, denominator: int, decimals: int, scale: int = 100) -> bool:
    """Whether ``scale * numerator / denominator`` lies exactly halfway between two values at
    ``decimals`` places (``1/8`` = 12.5 % at 0 decimals): half-up and half-even then differ.

    Example
    -------
    >>> is_tie(1, 8, 0), is_tie(1, 3, 1)
    (True, False)
    """
    s = Fraction(scale * numerator, denominator) * Fraction(10) ** decimals
    return s - math.floor(s) == Fraction(1, 2)


def counts_giving(text: str | PrintedNumber, denominator: int, rule: str, scale: int = 100,
                  max_count: int | None = None) -> list[int]:
    """All integers ``k`` in ``0..max_count`` (default: the denominator) with ``scale*k/denominator``
    printing as ``text`` under ``rule`` (GRIM for percentages when ``scale`` = 100)."""
    if denominator <= 0:
        raise ValueError(f"denominator {denominator} is not a positive integer")
    top = denominator if max_count is None else max_count
    iv = interval(text, rule)
    lo = 0 if iv.low == -math.inf else max(0, math.floor(iv.low * denominator / scale) - 1)
    hi = top if iv.high == math.inf else min(top, math.ceil(iv.high * denominator / scale) + 1)
    return [k for k in range(lo, hi + 1)
            if iv.contains(Fraction(scale * k, denominator))]


def grim_testable(text: str | PrintedNumber, denominator: int, scale: int = 100) -> bool:
    """Whether the granularity test has power: the step ``scale/denominator`` between attainable
    values is larger than one unit of the printed precision (otherwise every printed value is
    attainable; Brown & Heathers 2017)."""
    p = _printed(text)
    if p.bound:
        return False
    return Fraction(scale, denominator) > Fraction(1, 10 ** p.decimals)


def infer_rule(rule_sets: Iterable[Sequence[str]], preference: Sequence[str] = PREFERENCE) -> str:
    """The prevailing rule: the one under which most items are consistent.

    ``rule_sets`` holds, for each printed value, the rules under which it is consistent. Ties go to
    the earlier rule of ``preference`` (half-up first: the usual convention).
    """
    tally = {r: 0 for r in preference}
    for rules in rule_sets:
        for r in rules:
            if r in tally:
                tally[r] += 1
    return max(preference, key=lambda r: (tally[r], -list(preference).index(r)))


def rule_tally(rule_sets: Iterable[Sequence[str]]) -> dict[str, int]:
    """How many items are consistent under each rule."""
    tally = {r: 0 for r in RULES}
    for rules in rule_sets:
        for r in rules:
            tally[r] += 1
    return tally
