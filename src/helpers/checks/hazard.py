"""Checks on each printed hazard ratio (HR) with its confidence interval (CI) and p-value.

Every check has the three layers of the R package scrutiny (Jung 2023):

* a scalar function taking the numbers *as printed* (text, so trailing zeros survive), the group
  sizes where needed and the rounding rule, returning a :class:`helpers.core.findings.Result`;
* a ``*_map`` function applying it to every row of a DataFrame
  (:func:`helpers.checks.mapping.make_map`);
* a registered check (:mod:`helpers.checks.registry`) running it on a study's ledger through a
  :class:`~helpers.checks.registry.Context` and returning
  :class:`~helpers.core.findings.Finding` records (``check_*`` wrappers keep the older
  ``check_*(ledger, rounding)`` call for the notebooks).

The checks:

1. :func:`p_from_ci`       the p-value implied by the CI against the printed p
                           (Altman & Bland 2011, BMJ 343:d2090), and the CI/test duality;
2. :func:`ci_symmetry`     a Wald CI is symmetric about log HR, and holds the HR;
3. :func:`ci_width_bound`  a CI cannot be narrower than the information in the data allows:
                           Var(log HR) >= 1/d1 + 1/d0 >= 1/n1 + 1/n0;
4. :func:`hr_direction`    the side of 1 an HR lies on, against the paper's statements;
5. model_selection         the multivariable model against the selection rule of the methods.

Printed numbers stand for intervals (the values that round to them under the rule the study's
rounding policy gives their place; :mod:`helpers.checks.policy`). A check says ``impossible`` only
when arithmetic alone rules the printed numbers out; a verdict that needs the Wald form of the
interval, the same test behind p and CI, assumed group sizes or the inferred rounding rule says
``inconsistent`` and names the assumption (:mod:`helpers.core.evidence`).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..core.findings import Finding, Result, finding_from
from ..core.printed import parse_printed, z_for_level
from ..core.rounding import RULES, check_rule
from ..core.rounding import interval as rounding_interval
from ..ledger.load import Ledger
from ..ledger.select import records
from ..ledger.views import estimates, row_label
from .mapping import make_map
from .registry import Context, Example, Settings, register

__all__ = [
    "printed_box", "implied_se_range", "wald_p_range", "p_from_ci", "ci_symmetry",
    "variance_bound", "ci_width_bound", "hr_direction", "p_from_ci_map", "ci_symmetry_map",
    "ci_width_bound_map", "hr_direction_map", "group_sizes", "comparison_kind",
    "model_comparison", "selection_rule", "check_p_from_ci", "check_ci_symmetry",
    "check_ci_width_bound", "check_hr_direction", "check_model_selection", "check_all",
    "verdict_grid", "printed_numbers", "under_policy", "estimates", "row_label", "z_for_level",
    "CHECK_NAMES",
]

AREA = "cox"
TINY = 1e-300
LOG_CAP = 700.0          # |log| beyond this is treated as the edge of the representable range

ALTMAN_BLAND = ("Altman DG, Bland JM (2011) How to obtain the P value from a confidence "
                "interval. BMJ 343:d2090")
WALD_REF = ("Therneau TM, Grambsch PM (2000) Modeling Survival Data: Extending the Cox Model, "
            "ch. 3 (Wald intervals exp(b ± z·SE) as printed by R's summary(coxph))")
BOUND_REF = ("Therneau TM, Grambsch PM (2000) Modeling Survival Data, ch. 3 (score and "
             "information of the Cox partial likelihood); the bound Var(log HR) >= 1/d1 + 1/d0 "
             "follows from the concavity of the multinomial covariance at the MPLE")
DIRECTION_REF = ("Wilkinson J et al. (2025) INSPECT-SR, item 4.10 (text and tables disagree "
                 "about the same result); Cox DR (1972) JRSS B 34:187 (HR > 1: higher hazard)")
SELECTION_REF = ("Hosmer DW, Lemeshow S, May S (2008) Applied Survival Analysis, 2nd ed., "
                 "ch. 5 (purposeful selection: univariable screen at a stated level)")

CHECK_NAMES = {
    "p_from_ci": "1 · p from the CI",
    "ci_symmetry": "2 · symmetry",
    "ci_width_bound": "3 · narrowest possible CI",
    "hr_direction": "4 · direction",
}


# --------------------------------------------------------------------------- printed numbers


def _rules(rule) -> tuple[str, ...]:
    """A rule name, a sequence of rule names, or ``auto``/None (every rule: the reading that
    rests on no rule) as a tuple of rule names."""
    if rule in (None, "auto", "any"):
        return RULES
    if isinstance(rule, str):
        return (check_rule(rule),)
    return tuple(check_rule(r) for r in rule)


def printed_box(text: str, rule="half_up", *, low: float = -math.inf,
                high: float = math.inf, rules=None) -> tuple[float, float]:
    """The closed interval of true values that print as ``text``.

    Parameters
    ----------
    text : str
        The number as printed (``"1.50"``, ``"<0.001"``).
    rule : str or sequence of str
        The rounding rule (normally ``ctx.policy.rule_for(locator)``); a sequence gives the hull
        over those rules; ``"auto"`` or None the hull over every rule in
        :data:`helpers.core.rounding.RULES` (the reading that rests on no rule).
    low, high : float
        Clip the interval to [low, high].
    rules : sequence of str, optional
        Same as a sequence ``rule`` (kept for callers that name it).

    Returns
    -------
    (float, float)
        The end points, kept closed (the most favourable reading). A bound (``<0.001``) gives its
        open side.

    Example
    -------
    >>> printed_box("1.50", "half_up")
    (1.495, 1.505)
    """
    names = _rules(rules if rules is not None else rule)
    lo, hi = _box(text, names) if isinstance(text, str) else _box.__wrapped__(text, names)
    return max(lo, low), min(hi, high)


@functools.lru_cache(maxsize=1 << 16)
def _box(text: str, names: tuple[str, ...]) -> tuple[float, float]:
    """The hull of the rounding intervals of ``text`` under ``names``, once per text and rules
    (a ledger prints the same few hundred numbers thousands of times)."""
    lo, hi = math.inf, -math.inf
    for r in names:
        iv = rounding_interval(text, r)
        lo, hi = min(lo, float(iv.low)), max(hi, float(iv.high))
    return lo, hi


def _sf(x: float) -> float:
    """The standard normal upper tail, ``scipy.stats.norm.sf`` on a scalar without its
    argument checks (it is ``ndtr(-x)``, bit for bit; a thousand times faster on one number)."""
    return float(ndtr(-x))


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def _fmt(x: float, sig: int = 3) -> str:
    if x is None or not np.isfinite(x):
        return "inf" if x == math.inf else "-inf" if x == -math.inf else "nan"
    if x == 0:
        return "0"
    if abs(x) < 1e-4:
        return f"{x:.1e}"
    return f"{x:.{sig}g}"


def _fmt_p(x: float) -> str:
    if x < 1e-4:
        return f"{x:.1e}"
    return f"{x:.4f}".rstrip("0").rstrip(".") if x < 0.1 else f"{x:.3f}"


def _untestable(why: str, category: str = "statistical") -> Result:
    return Result("not testable", category, "", why)


def _missing(**fields) -> str | None:
    empty = [k for k, v in fields.items() if _text(v) == ""]
    return ", ".join(empty) if empty else None


def _unparsable(**fields) -> str | None:
    bad = []
    for k, v in fields.items():
        try:
            parse_printed(_text(v))
        except ValueError:
            bad.append(f"{k} '{v}'")
    return ", ".join(bad) if bad else None


def _log_box(text: str, rule) -> tuple[float, float]:
    a, b = printed_box(text, rule, low=TINY)
    b = max(a, b)
    return (max(-LOG_CAP, math.log(a)), min(LOG_CAP, math.log(b)) if b < math.inf else LOG_CAP)


def _level(ci_level) -> tuple[float, bool]:
    """The two-sided CI level in percent and whether it was printed (False: 95 taken)."""
    t = _text(ci_level)
    if not t:
        return 95.0, False
    return float(parse_printed(t).value), True


# --------------------------------------------------------------------------- 1. p from the CI


def implied_se_range(ci_low: str, ci_high: str, ci_level: str | None = "95",
                     rule="auto") -> tuple[float, float]:
    """Smallest and largest SE of log HR a printed CI allows: (ln U - ln L) / (2 z) over the
    rounding boxes of L and U (Altman & Bland 2011, BMJ 343:d2090)."""
    z = z_for_level(ci_level or "95")
    a1, a2 = _log_box(ci_low, rule)
    c1, c2 = _log_box(ci_high, rule)
    return max(0.0, c1 - a2) / (2 * z), max(0.0, c2 - a1) / (2 * z)


def _ratio_range(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Range of |b| / s over the convex hull of (b, s) points with s >= 0 (linear-fractional:
    the extremes lie on vertices; 0 when b changes sign, infinity when s reaches 0)."""
    bs = [b for b, _ in points]
    ss = [s for _, s in points]
    if min(ss) <= 0:
        hi = math.inf
    else:
        hi = max(abs(b) / s for b, s in points)
    if min(bs) <= 0 <= max(bs):
        lo = 0.0
    else:
        lo = min(abs(b) / s if s > 0 else math.inf for b, s in points)
    return lo, hi


def _wald_polygon(hb, ab, cb) -> list[tuple[float, float]]:
    """Vertices (b, s) with s = z·SE of the Wald triples exp(b), exp(b - s), exp(b + s) that print
    as the HR and the CI: b in hb, b - s in ab, b + s in cb, s >= 0 (empty: none)."""
    # In (a, c) = (b - s, b + s): a in ab, c in cb, a + c in 2 hb, c >= a.
    lines = [(1, 0, ab[0]), (1, 0, ab[1]), (0, 1, cb[0]), (0, 1, cb[1]),
             (1, 1, 2 * hb[0]), (1, 1, 2 * hb[1]), (-1, 1, 0.0)]      # p*a + q*c = r
    tol = 1e-12 * (1 + max(abs(x) for x in (*ab, *cb, *hb)))

    def feasible(a, c):
        return (ab[0] - tol <= a <= ab[1] + tol and cb[0] - tol <= c <= cb[1] + tol
                and 2 * hb[0] - tol <= a + c <= 2 * hb[1] + tol and c - a >= -tol)

    pts = []
    for (p1, q1, r1), (p2, q2, r2) in itertools.combinations(lines, 2):
        det = p1 * q2 - p2 * q1
        if abs(det) < 1e-15:
            continue
        a = (r1 * q2 - r2 * q1) / det
        c = (p1 * r2 - p2 * r1) / det
        if feasible(a, c):
            pts.append(((a + c) / 2, max(0.0, (c - a) / 2)))
    return pts


def wald_p_range(hr: str, ci_low: str, ci_high: str, ci_level: str | None = "95",
                 rule="auto") -> dict:
    """The range of Wald p-values the printed HR and CI allow, searched jointly.

    A Wald analysis has two numbers, b = log HR and its SE; it prints exp(b), exp(b - z SE) and
    exp(b + z SE). The search runs over the (b, SE) that reproduce *all three* printed numbers
    within rounding (a convex polygon; |b| / SE is linear-fractional, so its extremes lie on the
    polygon's vertices, found exactly). The CI limits behind the estimate are then the same
    (l, u) as those behind the SE. When no such (b, SE) exists (the CI is not symmetric about the
    HR within rounding: check 2), two readings are searched, each with one (l, u) for both numbers:
    the estimate from the printed HR and the SE from the CI, or the estimate from the CI's
    geometric midpoint sqrt(l u) and the SE from the same (l, u); the range is their hull.

    Returns
    -------
    dict
        ``p_low``, ``p_high``, ``se_min``, ``se_max``, ``joint`` (True: the exact Wald search),
        ``p_point`` (at the printed values).
    """
    names = _rules(rule)
    if all(isinstance(x, str) for x in (hr, ci_low, ci_high)) and (
            ci_level is None or isinstance(ci_level, str)):
        return dict(_wald_p_range(hr, ci_low, ci_high, ci_level, names))
    return dict(_wald_p_range.__wrapped__(hr, ci_low, ci_high, ci_level, names))


@functools.lru_cache(maxsize=1 << 15)
def _wald_p_range(hr, ci_low, ci_high, ci_level, rule) -> dict:
    """:func:`wald_p_range`, once per printed triple, level and rules (callers get a copy)."""
    z = z_for_level(ci_level or "95")
    hb, ab, cb = _log_box(hr, rule), _log_box(ci_low, rule), _log_box(ci_high, rule)
    poly = _wald_polygon(hb, ab, cb)
    joint = bool(poly)
    if joint:
        lo, hi = _ratio_range(poly)
        ses = [s / z for _, s in poly]
        se_min, se_max = min(ses), max(ses)
    else:
        # reading (a): b in hb, s = (c - a)/2 over the box; reading (b): b = (a + c)/2, same (a, c)
        corners = list(itertools.product(ab, cb))
        s_box = [max(0.0, (c - a) / 2) for a, c in corners]
        pa = [(b, s) for b in hb for s in (min(s_box), max(s_box))]
        pb = [((a + c) / 2, max(0.0, (c - a) / 2)) for a, c in corners]
        lo_a, hi_a = _ratio_range(pa)
        lo_b, hi_b = _ratio_range(pb)
        lo, hi = min(lo_a, lo_b), max(hi_a, hi_b)
        se_min, se_max = min(s_box) / z, max(s_box) / z
    H, L, U = (parse_printed(x).value for x in (hr, ci_low, ci_high))
    se_point = (math.log(U) - math.log(L)) / (2 * z) if U > L > 0 else 0.0
    p_point = float(2 * _sf(abs(math.log(H)) / se_point)) if se_point > 0 else 0.0
    # |b| / s with s = z SE; the test statistic is |b| / SE = z |b| / s
    return {"p_low": float(2 * _sf(z * hi)) if hi < math.inf else 0.0,
            "p_high": float(2 * _sf(z * lo)),
            "se_min": se_min, "se_max": se_max, "joint": joint, "p_point": p_point}


def p_from_ci(hr: str, ci_low: str, ci_high: str, p: str, *, ci_level: str | None = "95",
              rule="auto") -> Result:
    """Is the printed p reproducible from the printed HR and CI?

    Parameters
    ----------
    hr, ci_low, ci_high, p : str
        As printed (``p`` may be a bound such as ``<0.001``).
    ci_level : str, optional
        The CI level in percent (empty: 95 is taken, and a flag then also rests on that reading).
    rule : str or sequence of str
        The rounding rule of the place (``ctx.policy.rule_for(locator)``); ``auto``: every rule.

    Returns
    -------
    Result
        Two questions, in order.

        *Duality* (arithmetic alone). A (1 - a) CI is the set of HRs its test does not reject at
        level a, so it excludes 1 exactly when that test gives p < a (here a = 1 - level: 0.05
        for a 95% CI). A CI that excludes 1 (for every value within rounding) printed with a p
        that is at least a (for every value within rounding), or a CI holding 1 with p < a, is
        ``impossible``. This does not need the Wald form (any interval obtained by inverting a
        test has the property). Does it need ``same_test``? The duality ties the CI to *the test
        it inverts*; a p from another test of the same coefficient (score, likelihood ratio,
        log-rank) could in principle fall on the other side of a when the two tests nearly
        agree. We conclude it is not needed for this verdict, for two reasons: the row prints p
        and CI as one inference about one coefficient of one model (the paper's claim, not an
        assumption of the check), and the verdict is only given when the contradiction holds
        for every value within the printed rounding on both sides, so a p printed at the
        threshold (``0.05``) or a limit printed as ``1.00`` is never judged by it. A ledger
        whose CI level is not printed names ``text_interpretation`` instead (the 95% level is a
        reading), and the verdict is ``inconsistent``.

        *Reproduction* (rests on ``wald_interval`` and ``same_test``). The Wald test
        (Altman & Bland 2011): SE = (ln U - ln L) / (2 z), z_stat = |ln HR| / SE,
        p = 2 Phi(-z_stat), searched jointly over the (b, SE) that reproduce the HR and both
        limits within rounding (:func:`wald_p_range`). ``consistent`` when the range meets the
        printed p (its rounding box, or its open side for ``<0.001``); otherwise p and CI agree
        on the side of a but not on the value: ``inconsistent``, resting on the Wald form of the
        interval and on p and CI coming from the same Wald test (a score or likelihood-ratio p
        beside a Wald CI differs legitimately).

    Example
    -------
    >>> p_from_ci("1.42", "1.21", "1.66", "0.600").verdict     # CI excludes 1, p >= 0.05
    'impossible'
    >>> p_from_ci("2.00", "1.52", "2.64", "<0.001").verdict
    'consistent'

    References: Altman DG, Bland JM (2011) BMJ 343:d2090.
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high, p=p)
    if miss:
        return _untestable(f"not printed: {miss}")
    bad = _unparsable(hr=hr, ci_low=ci_low, ci_high=ci_high, p=p)
    if bad:
        return _untestable(f"not a number: {bad}")
    level, level_printed = _level(ci_level)
    a = 1 - level / 100
    (l1, l2), (u1, u2) = printed_box(ci_low, rule, low=TINY), printed_box(ci_high, rule, low=TINY)
    pp1, pp2 = printed_box(p, rule, low=0.0, high=1.0)
    w = wald_p_range(hr, ci_low, ci_high, f"{level:g}", rule)
    values = {**w, "printed_p_low": pp1, "printed_p_high": pp2, "alpha_ci": a}
    expected = (f"p in [{_fmt_p(w['p_low'])}, {_fmt_p(w['p_high'])}] "
                f"(at the printed values {_fmt_p(w['p_point'])})")
    excludes = l1 > 1 or u2 < 1
    holds = l2 < 1 < u1
    lvl = f"{level:g}%" + ("" if level_printed else " (level not printed: 95% taken)")
    if (excludes and pp1 >= a) or (holds and pp2 < a):
        if excludes:
            why = (f"the {lvl} CI ({ci_low}-{ci_high}) excludes 1, so the test it inverts gives "
                   f"p < {a:g}; the printed p = {p} is not below {a:g}")
        else:
            why = (f"the {lvl} CI ({ci_low}-{ci_high}) holds 1, so the test it inverts gives "
                   f"p >= {a:g}; the printed p = {p} is below {a:g}")
        text = (why + " for every value within rounding: p and CI cannot come from the same "
                      f"analysis (the Wald p the CI implies lies in [{_fmt_p(w['p_low'])}, "
                      f"{_fmt_p(w['p_high'])}]).")
        if not level_printed:
            return Result("inconsistent", "statistical", expected, text,
                          ("text_interpretation",), {**values, "duality": True})
        return Result("impossible", "statistical", expected, text, (), {**values, "duality": True})
    how = ("over the HR and CI values that a Wald analysis could print as shown" if w["joint"]
           else "the CI is not symmetric about the HR within rounding, so over the HR with the "
                "CI's SE and over the CI's own midpoint with the same limits")
    if w["p_low"] <= pp2 and pp1 <= w["p_high"]:
        return Result("consistent", "statistical", expected,
                      f"the Wald p implied by HR {hr} ({ci_low}-{ci_high}) can print as {p} "
                      f"({how}).", (), {**values, "duality": False})
    side = "larger" if pp1 > w["p_high"] else "smaller"
    return Result(
        "inconsistent", "statistical", expected,
        f"no Wald analysis printing HR {hr} ({ci_low}-{ci_high}) gives p = {p}: the printed p is "
        f"{side} than any Wald p the CI allows ({how}; SE of log HR between {_fmt(w['se_min'])} "
        f"and {_fmt(w['se_max'])}). p and CI agree on the side of {a:g}, so a p from another "
        f"test (score, likelihood ratio) or a non-Wald interval could explain it.",
        ("same_test", "wald_interval"), {**values, "duality": False})


# --------------------------------------------------------------------------- 2. symmetry


def ci_symmetry(hr: str, ci_low: str, ci_high: str, *, rule="auto") -> Result:
    """Can a Wald CI round to the printed one?

    Parameters
    ----------
    hr, ci_low, ci_high : str
        As printed.
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.

    Returns
    -------
    Result
        ``impossible`` (arithmetic alone) when the HR lies outside its own CI for every value
        within rounding: no interval method puts the estimate outside its interval.
        ``inconsistent`` resting on ``wald_interval`` when no h, l, u within rounding satisfy
        h^2 = l u: exp(b -/+ z se) is symmetric about b = ln HR, but a profile-likelihood,
        score or bootstrap interval need not be. ``consistent`` otherwise.

    Example
    -------
    >>> ci_symmetry("0.60", "0.50", "0.95").verdict
    'inconsistent'
    >>> ci_symmetry("1.45", "1.60", "2.05").verdict
    'impossible'

    References: Therneau & Grambsch (2000) ch. 3; Altman & Bland (2011) BMJ 343:d2090.
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}")
    bad = _unparsable(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if bad:
        return _untestable(f"not a number: {bad}")
    (h1, h2) = printed_box(hr, rule, low=TINY)
    (l1, l2), (u1, u2) = printed_box(ci_low, rule, low=TINY), printed_box(ci_high, rule, low=TINY)
    H, L, U = (max(parse_printed(x).value, TINY) for x in (hr, ci_low, ci_high))
    lower_arm, upper_arm = math.log(H) - math.log(L), math.log(U) - math.log(H)
    values = {"lower_arm": lower_arm, "upper_arm": upper_arm,
              "geo_mid_low": math.sqrt(l1 * u1), "geo_mid_high": math.sqrt(l2 * min(u2, 1e300))}
    expected = (f"HR = sqrt(L x U) in [{_fmt(values['geo_mid_low'], 4)}, "
                f"{_fmt(values['geo_mid_high'], 4)}]")
    if h2 < l1 or h1 > u2:
        return Result("impossible", "statistical", f"HR inside [{ci_low}, {ci_high}]",
                      f"the HR {hr} lies outside its own CI ({ci_low}-{ci_high}), for every "
                      f"value within rounding.", (), {**values, "outside": True})
    if max(h1 * h1, l1 * u1) <= min(h2 * h2, l2 * u2):
        return Result("consistent", "statistical", expected,
                      f"the CI is symmetric about ln HR within rounding (log arms "
                      f"{lower_arm:.3f} below, {upper_arm:.3f} above).", (),
                      {**values, "outside": False})
    return Result("inconsistent", "statistical", expected,
                  f"no values within rounding make the CI symmetric about ln HR: on the log "
                  f"scale the CI reaches {lower_arm:.3f} below the HR and {upper_arm:.3f} above "
                  f"it. A Wald CI, exp(b ± z·SE), has equal arms; another kind of interval "
                  f"(profile likelihood, bootstrap) need not.", ("wald_interval",),
                  {**values, "outside": False})


# --------------------------------------------------------------------------- 3. narrowest CI


def variance_bound(n_level: int | None, n_reference: int | None, n_total: int | None):
    """The smallest Var(log HR) the group sizes allow, and how it was obtained.

    At the maximum partial-likelihood estimate the score for each indicator of a factor is zero,
    so the risk-set shares p_tk of level k at the d event times sum to d_k. The information of
    the indicators is sum_t [diag(p_t) - p_t p_t'], concave in p_t, hence at most
    d [diag(p_bar) - p_bar p_bar'] with p_bar_k = d_k / d, whose inverse has (j, j) element
    1/d_j + 1/d_ref (the inverse of a multinomial covariance). So, for a level j against the
    reference level of a factor with any number of levels, Var(log HR_j) >= 1/d_j + 1/d_ref
    >= 1/n_j + 1/n_ref (events are at most patients), with or without other covariates in the
    model (a Schur complement only adds variance). With only the level's size, the reference
    holds at most N - n_j patients: 1/n_j + 1/(N - n_j). With no group size the split most
    favourable to a narrow CI, n/2 and n/2, gives 4/N. (Therneau & Grambsch 2000, ch. 3.)

    Returns
    -------
    (float or None, str, str)
        The bound, the formula with the numbers, and how the sizes were obtained: ``printed``
        (both sizes), ``level_only`` or ``even_split`` (sizes not printed), or ``none``.
    """
    if n_level and n_reference:
        return 1.0 / n_level + 1.0 / n_reference, f"1/{n_level} + 1/{n_reference}", "printed"
    if n_level and n_total and n_level < n_total:
        rest = n_total - n_level
        return 1.0 / n_level + 1.0 / rest, f"1/{n_level} + 1/{rest}", "level_only"
    if n_total:
        return 4.0 / n_total, f"4/{n_total}", "even_split"
    return None, "no group sizes and no N", "none"


def ci_width_bound(ci_low: str, ci_high: str, *, n_level: int | None = None,
                   n_reference: int | None = None, n_total: int | None = None,
                   ci_level: str | None = "95", rule="auto", level_name: str = "",
                   reference_name: str = "") -> Result:
    """Is the printed CI wider than the narrowest one the group sizes allow?

    Parameters
    ----------
    ci_low, ci_high : str
        The printed limits.
    n_level, n_reference : int, optional
        Patients in the level and in the reference level (printed with the HR, or the counts of
        the levels printed elsewhere).
    n_total : int, optional
        The cohort size, used only when the sizes are not printed.
    ci_level : str, optional
        The CI level in percent (95 when empty).
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.
    level_name, reference_name : str
        Names of the groups, for the explanation.

    Returns
    -------
    Result
        The widest CI that rounds to the printed limits gives SE_max = (ln U_max - ln L_min)/(2z);
        when SE_max^2 < bound (:func:`variance_bound`) even with every patient an event the data
        could not estimate the HR that precisely: ``inconsistent``, resting on ``wald_interval``
        (the width is read as 2 z SE) and, when the sizes are not printed (the even split or the
        rest of the cohort), on ``group_sizes_assumed``. ``consistent`` otherwise.

    Example
    -------
    >>> ci_width_bound("1.45", "1.55", n_level=50, n_reference=150).verdict
    'inconsistent'

    References: Therneau & Grambsch (2000) ch. 3.
    """
    n_level, n_reference, n_total = (_int_or_none(x) for x in (n_level, n_reference, n_total))
    miss = _missing(ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}")
    bad = _unparsable(ci_low=ci_low, ci_high=ci_high)
    if bad:
        return _untestable(f"not a number: {bad}")
    bound, how, source = variance_bound(n_level, n_reference, n_total)
    if bound is None:
        return _untestable("no group sizes and no cohort size to bound the variance")
    level, _ = _level(ci_level)
    z = z_for_level(f"{level:g}")
    se_min, se_max = implied_se_range(ci_low, ci_high, f"{level:g}", rule)
    min_se = math.sqrt(bound)
    events_needed = 4.0 / se_max ** 2 if se_max > 0 else math.inf
    ratio = math.exp(2 * z * min_se)
    values = {"se_max": se_max, "var_max": se_max ** 2, "var_bound": bound, "se_bound": min_se,
              "ratio_bound": ratio, "events_needed": events_needed, "bound_from": how,
              "sizes": source}
    n1 = f" ({level_name})" if level_name else ""
    n0 = f" ({reference_name})" if reference_name else ""
    if source == "printed":
        need = (f"Var(log HR) >= 1/n1 + 1/n0 with n1 = {n_level}{n1} and n0 = {n_reference}{n0} "
                f"needs SE >= {_fmt(min_se)}, i.e. a {level:g}% CI whose upper limit is at least "
                f"{ratio:.2f} times its lower limit")
        assumed = ()
    elif source == "level_only":
        need = (f"with n1 = {n_level}{n1} printed and the reference at most the other "
                f"{n_total - n_level} patients, Var(log HR) >= {how} needs SE >= {_fmt(min_se)} "
                f"(upper/lower >= {ratio:.2f})")
        assumed = ("group_sizes_assumed",)
    else:
        need = (f"group sizes are not printed: the split most favourable to a narrow CI, "
                f"{n_total // 2} and {n_total - n_total // 2} of the N = {n_total} patients, "
                f"gives Var(log HR) >= 4/N, SE >= {_fmt(min_se)} (upper/lower >= {ratio:.2f})")
        assumed = ("group_sizes_assumed",)
    expected = f"SE(log HR) >= {_fmt(min_se)} ({how}); CI upper/lower >= {ratio:.2f}"
    widest = (f"the widest CI rounding to ({ci_low}-{ci_high}) has SE(log HR) = {_fmt(se_max)}, "
              f"variance {_fmt(se_max ** 2)}")
    if se_max ** 2 < bound:
        return Result(
            "inconsistent", "statistical", expected,
            f"{need}; {widest} < {_fmt(bound)}: narrower than any Cox fit allows even if every "
            f"patient had an event (that width needs at least {events_needed:.0f} events in "
            f"all). Read as a Wald interval, exp(b ± z·SE).",
            ("wald_interval", *assumed), values)
    return Result("consistent", "statistical", expected,
                  f"{need}; {widest}, at least the bound.", (), values)


# --------------------------------------------------------------------------- 4. direction


def hr_direction(hr: str, ci_low: str, ci_high: str, expected_side: str, *,
                 rule="auto") -> Result:
    """Does the HR lie on the side of 1 a statement requires?

    Parameters
    ----------
    hr, ci_low, ci_high : str
        As printed.
    expected_side : str
        ``above`` or ``below``: where the statement puts the HR.
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.

    Returns
    -------
    Result
        ``consistent`` when the whole CI is on that side; ``inconsistent`` (category
        contradiction, resting on ``same_quantity``: the ledger's reading that the statement and
        the HR describe the same comparison) when the whole CI is on the other side; ``not
        testable`` when the CI includes 1 (or touches it within rounding).

    Example
    -------
    >>> hr_direction("0.60", "0.45", "0.80", "above").verdict
    'inconsistent'

    References: Cox (1972); INSPECT-SR item 4.10.
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}", "contradiction")
    bad = _unparsable(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if bad:
        return _untestable(f"not a number: {bad}", "contradiction")
    if expected_side not in ("above", "below"):
        raise ValueError(f"expected_side must be 'above' or 'below', not {expected_side!r}")
    (l1, _l2), (_u1, u2) = printed_box(ci_low, rule, low=TINY), printed_box(ci_high, rule, low=TINY)
    values = {"expected_side": expected_side}
    expected = f"HR {'>' if expected_side == 'above' else '<'} 1 (whole CI)"
    if l1 > 1:
        side = "above"
    elif u2 < 1:
        side = "below"
    else:
        return Result("not testable", "contradiction", expected,
                      f"the CI ({ci_low}-{ci_high}) includes 1: the data do not decide the "
                      f"direction.", (), values)
    if side == expected_side:
        return Result("consistent", "contradiction", expected,
                      f"HR {hr} ({ci_low}-{ci_high}) lies {side} 1 as the statement says.", (),
                      values)
    return Result("inconsistent", "contradiction", expected,
                  f"HR {hr} ({ci_low}-{ci_high}) lies {side} 1: the table shows the opposite of "
                  f"the statement.", ("same_quantity",), values)


# --------------------------------------------------------------------------- map versions

_HR_COLS = {"hr": "hr", "ci_low": "ci_low", "ci_high": "ci_high"}

p_from_ci_map = make_map(
    p_from_ci, columns={**_HR_COLS, "p": "p", "ci_level": "ci_level"},
    optional=("ci_low", "ci_high", "p", "ci_level"), constants=("rule",),
    values=("p_low", "p_high", "p_point", "printed_p_low", "printed_p_high", "se_min", "se_max",
            "joint", "duality"), name="p_from_ci_map")
ci_symmetry_map = make_map(
    ci_symmetry, columns=_HR_COLS, optional=("ci_low", "ci_high"), constants=("rule",),
    values=("lower_arm", "upper_arm", "geo_mid_low", "geo_mid_high"), name="ci_symmetry_map")
ci_width_bound_map = make_map(
    ci_width_bound, columns={"ci_low": "ci_low", "ci_high": "ci_high", "n_level": "n_level",
                             "n_reference": "n_reference", "n_total": "n_total",
                             "ci_level": "ci_level"},
    optional=("n_level", "n_reference", "n_total", "ci_level"), constants=("rule",),
    values=("se_max", "var_bound", "se_bound", "ratio_bound", "events_needed", "bound_from"),
    name="ci_width_bound_map")
hr_direction_map = make_map(
    hr_direction, columns={**_HR_COLS, "expected_side": "expected_side"},
    optional=("ci_low", "ci_high"), constants=("rule",), name="hr_direction_map")


# --------------------------------------------------------------------------- the ledger


def _int_or_none(x) -> int | None:
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, float):
        return None if math.isnan(x) else int(x)
    t = _text(x).replace(",", "")
    try:
        return int(float(t)) if t else None
    except ValueError:
        return None


def under_policy(fn: Callable[..., Result], ctx: Context, locator: str, *args, **kwargs) -> Result:
    """``fn(*args, rule=<the place's rule>, **kwargs)``, with the rounding assumption it rests on.

    The rule is ``ctx.policy.rule_for(locator)``. A flagged result is recomputed under every
    rounding rule: when the flag (or its strength: ``impossible``) holds only under the place's
    rule and that rule was inferred, the verdict rests on ``rounding_rule_inferred`` and an
    ``impossible`` becomes ``inconsistent``.
    """
    rule = ctx.policy.rule_for(locator)
    res = fn(*args, rule=rule, **kwargs)
    if not res.flagged:
        return res
    anyrule = fn(*args, rule=RULES, **kwargs)
    if anyrule.verdict == res.verdict or not ctx.policy.inferred:
        return res
    verdict = "inconsistent" if res.verdict == "impossible" else res.verdict
    keys = tuple(sorted({*res.assumptions, *ctx.policy.assumptions}))
    note = (f" This holds under the {rule.replace('_', '-')} rounding the paper's other numbers "
            f"suggest for this place, not under every rounding rule.")
    return replace(res, verdict=verdict, assumptions=keys, explanation=res.explanation + note)


def _printed_hr(row) -> str:
    body = f"{row['hr']} ({row['ci_low']}-{row['ci_high']})" if _text(row.get("ci_low")) \
        else f"{row['hr']}"
    return body + (f", p {row['p']}" if _text(row.get("p")) else "")


def _finding(ctx: Context, row, res: Result, printed: str | None = None,
             extra_locators=(), extra_quantities=()) -> Finding:
    quantity = "; ".join(dict.fromkeys(q for q in (row["quantity"], *extra_quantities) if q))
    return finding_from(ctx, item=row_label(row), result=res,
                        locators=(row["locator"], *extra_locators),
                        printed=printed if printed is not None else _printed_hr(row),
                        quantity=quantity, area=AREA)


def _estimates(ctx: Context) -> pd.DataFrame:
    hr = ctx.table("hazard_ratios")
    if hr.empty or "role" not in hr.columns:
        return pd.DataFrame(columns=hr.columns)
    return hr[hr["role"] == "estimate"].reset_index(drop=True)


def group_sizes(ledger: Ledger, row) -> dict:
    """Patients per level for one HR row: printed next to the HR (``n_level``/``n_reference``), else
    from ``counts.csv`` through ``level_quantity``/``reference_quantity`` (the reference level's own
    count). When a quantity is printed with different counts in different places, the pair giving
    the smallest bound (most favourable to the paper) among those summing to at most N is used and
    the alternatives are listed. ``from_counts`` is True when the sizes come from counts.csv."""
    n1, n0 = _int_or_none(row.get("n_level")), _int_or_none(row.get("n_reference"))
    if n1 and n0:
        return {"n_level": n1, "n_reference": n0, "source": "printed with the HR",
                "alternatives": "", "from_counts": False}
    sizes = ledger.memo(("group_size_options",), lambda: _count_options(ledger.counts))

    def options(q):
        if not q:
            return []
        return list(sizes.get(q, ()))

    lq, rq = _text(row.get("level_quantity")), _text(row.get("reference_quantity"))
    a = [n1] if n1 else options(lq)
    b = [n0] if n0 else options(rq)
    n = ledger.n
    pairs = [(x, y) for x in a for y in b if x > 0 and y > 0 and x + y <= n]
    if pairs:
        best = min(pairs, key=lambda xy: 1 / xy[0] + 1 / xy[1])
        alt = "; ".join(f"{x}/{y}" for x, y in pairs if (x, y) != best)
        dropped = [(x, y) for x in a for y in b if x + y > n]
        if dropped:
            alt += ("; " if alt else "") + "excluded as summing above N: " + ", ".join(
                f"{x}/{y}" for x, y in dropped)
        return {"n_level": best[0], "n_reference": best[1],
                "source": f"counts.csv ({lq or 'printed'}, {rq or 'printed'})",
                "alternatives": alt, "from_counts": True}
    level_only = [x for x in a if 0 < x < n]
    if level_only:
        # the reference holds at most N - n1: the largest n1 gives the smallest bound
        return {"n_level": max(level_only), "n_reference": None,
                "source": f"counts.csv ({lq})" if not n1 else "printed with the HR",
                "alternatives": "", "from_counts": not n1}
    return {"n_level": None, "n_reference": None, "source": "", "alternatives": "",
            "from_counts": False}


def _count_options(counts: pd.DataFrame) -> dict[str, tuple[int, ...]]:
    """Quantity -> the distinct positive counts counts.csv prints for it, ascending."""
    found: dict[str, set] = {}
    if counts.empty:
        return {}
    for q, v in zip(counts["quantity"].tolist(), counts["count"].astype(str).tolist()):
        if v == "":
            continue
        c = _int_or_none(v)
        if c:
            found.setdefault(q, set()).add(c)
    return {q: tuple(sorted(cs)) for q, cs in found.items()}


def _hr_levels(hr: pd.DataFrame) -> dict[tuple, tuple[set, set]]:
    """(model, endpoint, variable) -> (levels of its reference rows, levels of its estimates)."""
    out: dict[tuple, tuple[set, set]] = {}
    if hr.empty or any(c not in hr.columns for c in ("model", "endpoint", "variable", "role",
                                                      "level")):
        return out
    for key in zip(hr["model"].tolist(), hr["endpoint"].tolist(), hr["variable"].tolist(),
                   hr["role"].tolist(), hr["level"].tolist()):
        refs, ests = out.setdefault(key[:3], (set(), set()))
        if key[3] == "reference":
            refs.add(key[4])
        elif key[3] == "estimate":
            ests.add(key[4])
    return out


def comparison_kind(ledger: Ledger, row) -> str:
    """What an HR row compares: ``binary`` (a level against the reference, two levels),
    ``multilevel`` (one of several levels against the reference) or ``continuous`` (a per-unit HR:
    ``type: continuous`` in covariates.yaml, or a reference that is no level of the variable and
    no group size or count printed for either level)."""
    spec = ((ledger.covariates or {}).get("covariates") or {}).get(row["variable"], {}) or {}
    if isinstance(spec, dict) and spec.get("type") == "continuous":
        return "continuous"
    index = ledger.memo(("hr_levels",), lambda: _hr_levels(ledger.hazard_ratios))
    refs, ests = index.get((row["model"], row["endpoint"], row["variable"]), ((), ()))
    sized = any(_text(row.get(c)) for c in ("n_reference", "reference_quantity", "n_level",
                                             "level_quantity"))
    if row["reference"] not in refs and not sized:
        return "continuous"
    levels = set(ests) | {row["reference"]}
    return "multilevel" if len(levels) > 2 else "binary"


# --------------------------------------------------------------------------- registered checks

def _hr_row(**kw) -> dict:
    row = {"model": "univariable", "endpoint": "PFS", "variable": "Sex", "level": "Female",
           "reference": "Male", "role": "estimate", "ci_level": "95",
           "quantity": "cox.univariable.sex.female", "locator": "Table 3 / Sex: Female"}
    row.update(kw)
    return row


_REF_ROW = {"model": "univariable", "endpoint": "PFS", "variable": "Sex", "level": "Male",
            "reference": "Male", "role": "reference", "hr": "1",
            "quantity": "cox.univariable.sex.male", "locator": "Table 3 / Sex: Male"}


@register(
    "p_from_ci", family="hazard",
    title="The printed p-value of an HR follows from its printed CI",
    reads=["hazard_ratios"], assumptions=["arithmetic", "wald_interval", "same_test",
                                          "rounding_rule_inferred", "text_interpretation"],
    items=["4.9", "R:statistics"], reference=ALTMAN_BLAND, category="statistical",
    formula="SE = (ln U - ln L)/(2z); p = 2·Phi(-|ln HR|/SE), over the rounding boxes of "
            "(HR, L, U) jointly; a CI excluding 1 needs p < 1 - level",
    examples=[
        Example("pass", tables={"hazard_ratios": [
            _hr_row(hr="1.50", ci_low="1.20", ci_high="1.88", p="<0.001")]}),
        Example("flag", tables={"hazard_ratios": [
            _hr_row(hr="1.42", ci_low="1.21", ci_high="1.66", p="0.600")]}),
    ])
def p_from_ci_check(ctx: Context) -> list[Finding]:
    """Every printed HR with CI and p: is the p the one the CI implies?

    Parameters
    ----------
    ctx : Context
        Rows of ``hazard_ratios`` (role ``estimate``) within scope; each row is read under
        ``ctx.policy.rule_for(locator)``.

    Returns
    -------
    list of Finding
        One per estimate (:func:`p_from_ci`): ``impossible`` (arithmetic) when p and CI fall on
        opposite sides of 1 - level (the CI/test duality), ``inconsistent`` resting on
        ``wald_interval`` and ``same_test`` when they agree on the side but not on the value,
        ``not testable`` when p or a limit is not printed.

    Example
    -------
    HR 1.42 (1.21-1.66) with p = 0.600: the 95% CI excludes 1, p >= 0.05 -> ``impossible``.

    References: Altman & Bland (2011) BMJ 343:d2090.
    """
    out = []
    for row in records(_estimates(ctx)):
        res = under_policy(p_from_ci, ctx, row["locator"], row["hr"], row["ci_low"],
                           row["ci_high"], row["p"], ci_level=row["ci_level"])
        out.append(_finding(ctx, row, res))
    return out


@register(
    "ci_symmetry", family="hazard",
    title="A printed CI of an HR is symmetric about it on the log scale and holds it",
    reads=["hazard_ratios"], assumptions=["arithmetic", "wald_interval", "rounding_rule_inferred"],
    items=["4.9", "R:statistics"], reference=WALD_REF, category="statistical",
    formula="exists h, l, u within rounding: h^2 = l·u and l <= h <= u",
    examples=[
        Example("pass", tables={"hazard_ratios": [
            _hr_row(hr="1.50", ci_low="1.20", ci_high="1.88", p="<0.001")]}),
        Example("flag", tables={"hazard_ratios": [
            _hr_row(hr="0.60", ci_low="0.50", ci_high="0.95", p="0.020")]}),
    ])
def ci_symmetry_check(ctx: Context) -> list[Finding]:
    """Every printed HR with its CI: could a Wald interval print as shown?

    Parameters
    ----------
    ctx : Context
        Rows of ``hazard_ratios`` (role ``estimate``) within scope, read under the place's rule.

    Returns
    -------
    list of Finding
        One per estimate (:func:`ci_symmetry`): ``impossible`` (arithmetic) when the HR lies
        outside its own CI; ``inconsistent`` resting on ``wald_interval`` when the CI is not
        symmetric about ln HR within rounding.

    Example
    -------
    HR 0.60 (0.50-0.95): log arms 0.18 below and 0.46 above -> ``inconsistent`` (Wald).

    References: Therneau & Grambsch (2000) ch. 3.
    """
    out = []
    for row in records(_estimates(ctx)):
        res = under_policy(ci_symmetry, ctx, row["locator"], row["hr"], row["ci_low"],
                           row["ci_high"])
        out.append(_finding(ctx, row, res))
    return out


def _width_result(ctx: Context, row) -> Result:
    ledger = ctx.ledger
    kind = comparison_kind(ledger, row)
    if kind == "continuous":
        return _untestable(f"a per-unit HR ({row['level']}) of a continuous covariate: the "
                           f"bound needs two groups.")
    g = group_sizes(ledger, row)
    res = under_policy(ci_width_bound, ctx, row["locator"], row["ci_low"], row["ci_high"],
                       n_level=g["n_level"], n_reference=g["n_reference"], n_total=ledger.n,
                       ci_level=row["ci_level"], level_name=row["level"],
                       reference_name=row["reference"])
    extra = ""
    if g["source"]:
        extra = f" Group sizes from {g['source']}."
        if kind == "multilevel" and g["n_reference"]:
            extra += (f" {row['variable']} has more than two levels: the reference group is the "
                      f"reference level's own count.")
        if g["alternatives"]:
            extra += (f" Other printed sizes ({g['alternatives']}); the pair giving the smallest "
                      f"bound is used.")
    keys = set(res.assumptions)
    if res.flagged and g["from_counts"]:
        keys.add("same_quantity")      # the sizes are the counts of the levels printed elsewhere
    return replace(res, explanation=res.explanation + extra, assumptions=tuple(sorted(keys)))


@register(
    "ci_width_bound", family="hazard",
    title="A printed CI of an HR is no narrower than the group sizes allow",
    reads=["hazard_ratios"],
    assumptions=["arithmetic", "wald_interval", "group_sizes_assumed", "same_quantity",
                 "rounding_rule_inferred"],
    items=["4.9", "4.6", "R:statistics"], reference=BOUND_REF, category="statistical",
    formula="((ln U_max - ln L_min)/(2z))^2 >= 1/n1 + 1/n0 (4/N when sizes are not printed)",
    examples=[
        Example("pass", tables={"hazard_ratios": [
            _hr_row(hr="1.50", ci_low="1.20", ci_high="1.88", p="<0.001", n_level="200",
                    n_reference="200"), _REF_ROW]}, meta={"n": 400}),
        Example("flag", tables={"hazard_ratios": [
            _hr_row(hr="1.50", ci_low="1.45", ci_high="1.55", p="<0.001", n_level="50",
                    n_reference="150"), _REF_ROW]}, meta={"n": 200}),
    ])
def ci_width_bound_check(ctx: Context) -> list[Finding]:
    """Every printed HR of a group comparison: is its CI wider than the narrowest possible?

    Parameters
    ----------
    ctx : Context
        Rows of ``hazard_ratios`` within scope; group sizes from the row (``n_level``,
        ``n_reference``) or from ``counts`` through ``level_quantity``/``reference_quantity``
        (:func:`group_sizes`); the study's N from ``study.yaml``.

    Returns
    -------
    list of Finding
        One per estimate (:func:`ci_width_bound`). For one level of a factor with more levels
        the reference group is the reference level's own count (the bound holds for every
        dummy of a factor: :func:`variance_bound`). Per-unit HRs of continuous covariates are
        ``not testable``. A flag rests on ``wald_interval``; on ``group_sizes_assumed`` when the
        sizes are not printed; on ``same_quantity`` when they come from counts printed elsewhere.

    Example
    -------
    HR 1.50 (1.45-1.55) with 50 vs 150 patients: SE <= 0.0087, but 1/50 + 1/150 needs
    SE >= 0.163 -> ``inconsistent``.

    References: Therneau & Grambsch (2000) ch. 3.
    """
    return [_finding(ctx, row, _width_result(ctx, row)) for row in records(_estimates(ctx))]


def _statement_side(statement, row) -> str | None:
    """'above'/'below': where the HR of ``row`` must lie if ``statement`` is true; None if the
    statement says nothing about this comparison."""
    worse = statement["kind"] == "poorer_prognosis"
    if statement["level"] == row["level"]:
        return "above" if worse else "below"
    if statement["level"] == row["reference"]:
        return "below" if worse else "above"
    return None


def _by_variable(statements: pd.DataFrame) -> dict[str, list[dict]]:
    """The statements as records grouped by ``variable``, in ledger order (indexed once, not
    filtered per HR row)."""
    out: dict[str, list[dict]] = {}
    if statements.empty:
        return out
    for s in records(statements):
        out.setdefault(s["variable"], []).append(s)
    return out


def _endpoint_matches(statement_endpoint: str, hr_endpoint: str) -> bool:
    return statement_endpoint in ("prognosis", "") or statement_endpoint == hr_endpoint


@register(
    "hr_direction", family="hazard",
    title="A printed HR lies on the side of 1 the paper's statements of prognosis say",
    reads=["hazard_ratios"], assumptions=["arithmetic", "same_quantity", "rounding_rule_inferred"],
    items=["4.10", "R:errors"], reference=DIRECTION_REF, category="contradiction",
    formula="'X has a poorer prognosis' needs HR(X vs reference) > 1 over the whole CI",
    examples=[
        Example("pass", tables={
            "hazard_ratios": [_hr_row(hr="0.60", ci_low="0.45", ci_high="0.80", p="<0.001")],
            "statements": [{"kind": "better_prognosis", "endpoint": "PFS", "variable": "Sex",
                            "level": "Female", "quantity": "direction.sex.female",
                            "locator": "Results ¶3"}]}),
        Example("flag", tables={
            "hazard_ratios": [_hr_row(hr="0.60", ci_low="0.45", ci_high="0.80", p="<0.001")],
            "statements": [{"kind": "poorer_prognosis", "endpoint": "PFS", "variable": "Sex",
                            "level": "Female", "quantity": "direction.sex.female",
                            "locator": "Results ¶3"}]}),
    ])
def hr_direction_check(ctx: Context) -> list[Finding]:
    """Every printed HR against the paper's statements of direction (``statements``).

    Parameters
    ----------
    ctx : Context
        Rows of ``hazard_ratios`` within scope; the statements of the whole ledger.

    Returns
    -------
    list of Finding
        Per HR and relevant statement (:func:`hr_direction`). A statement 'level X has a poorer
        prognosis' requires HR(X vs reference) > 1 (or, when X is the reference, HR < 1). A CI
        wholly on the other side is ``inconsistent`` (contradiction), resting on the ledger's
        reading that statement and HR describe one comparison: one slip (a swapped reference
        level, a reversed word) reconciles them, so never ``impossible``. HRs no statement
        addresses are ``not testable``. A finding's quantity names the HR and the statement
        (``cox...; direction...``).

    Example
    -------
    HR 0.60 (0.45-0.80) for Female vs Male, and 'women have a poorer prognosis' ->
    ``inconsistent``.

    References: INSPECT-SR item 4.10; Cox (1972).
    """
    out = []
    by_variable = ctx.ledger.memo(("statements_by_variable",),
                                  lambda: _by_variable(ctx.ledger.statements))
    for row in records(_estimates(ctx)):
        relevant = [s for s in by_variable.get(row["variable"], ())
                    if _endpoint_matches(s["endpoint"], row["endpoint"]) and _statement_side(s, row)]
        if not relevant:
            res = _untestable(f"the paper states no direction for {row['variable']}.",
                              "contradiction")
            out.append(_finding(ctx, row, res))
            continue
        for s in relevant:
            side = _statement_side(s, row)
            res = under_policy(hr_direction, ctx, row["locator"], row["hr"], row["ci_low"],
                               row["ci_high"], side)
            kind = "poorer" if s["kind"] == "poorer_prognosis" else "better"
            res = replace(res, explanation=(f"{s['locator']} says {row['variable']} {s['level']} "
                                            f"has a {kind} prognosis ('{s['printed']}'); "
                                            + res.explanation))
            out.append(_finding(ctx, row, res, printed=f"{_printed_hr(row)} | '{s['printed']}'",
                                extra_locators=(s["locator"],),
                                extra_quantities=(_text(s.get("quantity")),)))
    return out


# --------------------------------------------------------------------------- 5. the models


def _policy_of(ledger: Ledger, rounding):
    """A rounding policy: ``rounding`` itself when it has ``rule_for``, else resolved from it."""
    if hasattr(rounding, "rule_for"):
        return rounding
    def resolve():
        return Context(ledger, Settings(rounding=rounding or "auto")).policy

    try:
        hash(rounding)
    except TypeError:
        return resolve()
    return ledger.memo(("policy", rounding or "auto"), resolve)


def _p_significant(p_text: str, alpha: float, rule) -> bool | None:
    """True / False when every value the printed p stands for is below / not below alpha."""
    if not _text(p_text) or _unparsable(p=p_text):
        return None
    lo, hi = printed_box(p_text, rule, low=0.0, high=1.0)
    if hi < alpha:
        return True
    if lo >= alpha:
        return False
    return None


def model_comparison(ledger: Ledger, alpha: float | None = None, rounding="auto",
                     hr: pd.DataFrame | None = None) -> pd.DataFrame:
    """Univariable and multivariable estimates side by side, with what each printed number says
    about the selection rule (univariable p < alpha enters the multivariable model).

    ``rounding`` is a rule name, ``auto`` or a :class:`~helpers.checks.policy.RoundingPolicy`;
    ``hr`` the hazard-ratio rows to compare (default: the whole ledger's). Without ``alpha`` (and
    none stated by the study) the significance columns are None.
    """
    alpha = ledger.alpha if alpha is None else alpha
    policy = _policy_of(ledger, rounding)
    hr = ledger.hazard_ratios if hr is None else hr
    if hr.empty:
        return pd.DataFrame()
    key = ["endpoint", "variable", "level", "reference"]
    uni = hr[(hr["model"] == "univariable") & (hr["role"] == "estimate")]
    rows = []
    for u in records(uni):
        m = ledger.where("hazard_ratios", model="multivariable",
                         **{k: u[k] for k in key})          # an index, not a scan per row
        in_model = None if m.empty else bool((m["role"] == "estimate").any())
        mrow = m[m["role"] == "estimate"].iloc[0] if in_model else None
        rule = policy.rule_for(u["locator"])
        has_ci = not _missing(hr=u["hr"], l=u["ci_low"], u=u["ci_high"]) and not _unparsable(
            hr=u["hr"], l=u["ci_low"], u=u["ci_high"])
        pc = wald_p_range(u["hr"], u["ci_low"], u["ci_high"], u["ci_level"] or "95", rule) \
            if has_ci else {}
        ci_sig = None
        if pc and alpha is not None:
            ci_sig = (True if pc["p_high"] < alpha else False if pc["p_low"] >= alpha else None)
        rows.append({
            "endpoint": u["endpoint"], "variable": u["variable"], "level": u["level"],
            "reference": u["reference"],
            "univariable": _printed_hr(u).split(", p ")[0], "p_uni": u["p"],
            "multivariable": "" if mrow is None else _printed_hr(mrow).split(", p ")[0],
            "p_multi": "" if mrow is None else mrow["p"],
            "in_model": in_model,
            "selected_by_p": None if alpha is None else _p_significant(u["p"], alpha, rule),
            "p_implied_by_ci": f"[{_fmt_p(pc['p_low'])}, {_fmt_p(pc['p_high'])}]" if pc else "",
            "selected_by_ci": ci_sig,
            "ci_excludes_1": bool(parse_printed(u["ci_low"]).value > 1
                                  or parse_printed(u["ci_high"]).value < 1) if has_ci else None,
            "locator": u["locator"], "quantity": u["quantity"],
        })
    return pd.DataFrame(rows)


SELECTION_PARAMETERS = ("multivariable_selection", "selection_alpha")


def selection_rule(ledger: Ledger) -> pd.Series | None:
    """The design.csv row saying the multivariable model was built from the univariable factors
    significant at a level (parameter ``multivariable_selection``), or None."""
    d = ledger.design
    if d.empty:
        return None
    rows = d[d["parameter"].isin(SELECTION_PARAMETERS)]
    return None if rows.empty else rows.iloc[0]


def _selection_alpha(ctx: Context, rule) -> float | None:
    if rule is not None:
        try:
            v = parse_printed(_text(rule["value"])).value
            if 0 < v < 1:
                return float(v)
        except ValueError:
            pass
    return ctx.alpha


def _model_selection(ctx: Context, rule_stated: bool | None = None) -> list[Finding]:
    ledger = ctx.ledger
    rule = selection_rule(ledger)
    if rule_stated is None:
        rule_stated = rule is not None
    alpha = _selection_alpha(ctx, rule)
    hr = ctx.table("hazard_ratios")
    comp = model_comparison(ledger, alpha, ctx.policy, hr=hr)
    out = []
    if comp.empty:
        return out
    for (endpoint, variable), g in _groups(comp, ("endpoint", "variable")):
        sel_p = [r["selected_by_p"] for r in g if r["selected_by_p"] is not None]
        sel_ci = [r["selected_by_ci"] for r in g if r["selected_by_ci"] is not None]
        by_p = any(sel_p) if sel_p else None
        by_ci = any(sel_ci) if sel_ci else None
        first = g[0]
        in_model = first["in_model"]
        printed = "; ".join(f"{r['level']}: {r['univariable']}, p {r['p_uni']}" +
                            (f" | multivariable {r['multivariable']}" if r["multivariable"] else
                             " | not in the multivariable model" if r["in_model"] is False else "")
                            for r in g)
        status = ("in the multivariable model" if in_model else "not in the multivariable model")
        a_txt = "?" if alpha is None else f"{alpha:g}"
        expected = (f"{'in' if by_p else 'not in'} the model (univariable p "
                    f"{'<' if by_p else '>='} {a_txt})" if by_p is not None else "")
        keys: tuple[str, ...] = ()
        if not rule_stated:
            verdict, why = "not testable", ("the ledger does not record that the multivariable "
                                            "model was built from the significant univariable "
                                            "factors (design.csv parameter "
                                            "'multivariable_selection').")
        elif alpha is None:
            verdict, why = "not testable", ("the study states no significance level, and the "
                                            "selection rule prints none.")
        elif in_model is None:
            verdict, why = "not testable", "the paper prints no multivariable column for this variable."
        elif by_p is None:
            verdict, why = "not testable", f"the printed p does not say whether p < {alpha:g}."
        elif by_p != in_model:
            verdict, why = "inconsistent", (f"the univariable p says the variable should "
                                            f"{'' if by_p else 'not '}enter the multivariable model, "
                                            f"but it is {status}.")
            keys = ("text_interpretation",)      # the Methods' sentence read as a strict rule
        elif by_ci is not None and by_ci != by_p:
            verdict = "not testable"
            why = (f"by the printed p the variable is correctly {status}; but the printed CI "
                   f"implies p {first['p_implied_by_ci']}, by which the rule would have "
                   f"{'excluded' if by_p else 'selected'} it. The p and the CI disagree (see "
                   f"p_from_ci), so whether the model follows its rule cannot be decided.")
        else:
            verdict, why = "consistent", f"{status}, as the univariable p and the CI both say."
        locs = tuple(dict.fromkeys(r["locator"] for r in g))
        if rule is not None:
            locs = (*locs, rule["locator"])
        res = Result(verdict, "design", expected, f"alpha = {a_txt}: " + why, keys)
        out.append(finding_from(ctx, item=f"{variable} ({endpoint})", result=res, locators=locs,
                                printed=printed, quantity=first["quantity"], area=AREA))
    return out


def _groups(df: pd.DataFrame, keys: tuple[str, ...]) -> list[tuple[tuple, list[dict]]]:
    """``df.groupby(list(keys), sort=False)`` as (key, records) pairs: groups in order of first
    appearance, rows in ledger order, rows with a missing key left out (as groupby does)."""
    groups: dict[tuple, list[dict]] = {}
    for r in records(df):
        key = tuple(r[k] for k in keys)
        if any(k is None or (isinstance(k, float) and math.isnan(k)) for k in key):
            continue
        groups.setdefault(key, []).append(r)
    return list(groups.items())


_SEL_DESIGN = {"kind": "analysis", "parameter": "multivariable_selection", "value": "0.05",
               "comparator": "<", "quantity": "design.multivariable_selection",
               "locator": "Methods / Statistics"}


@register(
    "model_selection", family="hazard",
    title="The multivariable model holds the factors its stated selection rule admits",
    reads=["hazard_ratios"], assumptions=["arithmetic", "text_interpretation"],
    items=["4.9", "R:methods"], reference=SELECTION_REF, category="design",
    formula="univariable p < alpha  <=>  in the multivariable model",
    examples=[
        Example("pass", tables={
            "hazard_ratios": [
                _hr_row(hr="1.50", ci_low="1.20", ci_high="1.88", p="<0.001"),
                _hr_row(model="multivariable", hr="1.38", ci_low="1.12", ci_high="1.75",
                        p="0.003", quantity="cox.multivariable.sex.female",
                        locator="Table 3 / Sex: Female / multivariable")],
            "design": [_SEL_DESIGN]}),
        Example("flag", tables={
            "hazard_ratios": [
                _hr_row(hr="1.10", ci_low="0.80", ci_high="1.52", p="0.560"),
                _hr_row(model="multivariable", hr="1.05", ci_low="0.75", ci_high="1.49",
                        p="0.770", quantity="cox.multivariable.sex.female",
                        locator="Table 3 / Sex: Female / multivariable")],
            "design": [_SEL_DESIGN]}),
    ])
def model_selection_check(ctx: Context) -> list[Finding]:
    """Per univariable variable: does membership in the multivariable model follow the stated
    rule 'univariable p < alpha enters'?

    Parameters
    ----------
    ctx : Context
        Rows of ``hazard_ratios`` within scope; the rule from design.csv (parameter
        ``multivariable_selection``; its value, if a number below 1, is the selection level,
        else ``ctx.alpha``).

    Returns
    -------
    list of Finding
        ``consistent`` when membership follows the printed p (and the CI agrees);
        ``inconsistent`` (design, resting on ``text_interpretation``: the Methods' sentence read
        as a strict rule) when it does not; ``not testable`` when the printed p and CI disagree
        about significance, the p straddles alpha, no multivariable column is printed, no rule is
        recorded, or the study states no level.

    Example
    -------
    Rule p < 0.05; Sex has univariable p = 0.560 yet is in the multivariable model ->
    ``inconsistent``.

    References: Hosmer, Lemeshow & May (2008) ch. 5.
    """
    return _model_selection(ctx)


# --------------------------------------------------------------------------- wrappers


def _run(name: str, ledger: Ledger, rounding="auto") -> list[Finding]:
    from .registry import get
    ctx = Context(ledger, Settings(rounding=rounding if isinstance(rounding, str) else "auto"))
    return get(name).run(ctx)


def check_p_from_ci(ledger: Ledger, rounding="auto") -> list[Finding]:
    """The registered ``p_from_ci`` on a whole ledger."""
    return _run("p_from_ci", ledger, rounding)


def check_ci_symmetry(ledger: Ledger, rounding="auto") -> list[Finding]:
    """The registered ``ci_symmetry`` on a whole ledger."""
    return _run("ci_symmetry", ledger, rounding)


def check_ci_width_bound(ledger: Ledger, rounding="auto") -> list[Finding]:
    """The registered ``ci_width_bound`` on a whole ledger."""
    return _run("ci_width_bound", ledger, rounding)


def check_hr_direction(ledger: Ledger, rounding="auto") -> list[Finding]:
    """The registered ``hr_direction`` on a whole ledger."""
    return _run("hr_direction", ledger, rounding)


def check_model_selection(ledger: Ledger, alpha: float | None = None, rounding="auto",
                          rule_stated: bool | None = None) -> list[Finding]:
    """``model_selection`` on a whole ledger, optionally at another ``alpha`` or with the rule
    taken as stated (``rule_stated=True``) when the ledger does not record it."""
    from .registry import get
    ctx = Context(ledger, Settings(rounding=rounding if isinstance(rounding, str) else "auto",
                                   alpha=alpha))
    check = get("model_selection")
    return [f.with_(check=check.name, family=check.family, items=check.items)
            for f in _model_selection(ctx, rule_stated)]


def check_all(ledger: Ledger, rounding="auto") -> list[Finding]:
    """Checks 1-4 on every printed HR (check 5 is per variable: :func:`check_model_selection`)."""
    return (check_p_from_ci(ledger, rounding) + check_ci_symmetry(ledger, rounding)
            + check_ci_width_bound(ledger, rounding) + check_hr_direction(ledger, rounding))


def verdict_grid(findings: list[Finding]) -> pd.DataFrame:
    """One line per HR row, one column per check (1-4): the verdicts side by side."""
    rows = {}
    for f in findings:
        if f.check not in CHECK_NAMES:
            continue
        cell = rows.setdefault(f.item, {})
        label = CHECK_NAMES[f.check]
        prev = cell.get(label)
        cell[label] = f.verdict if prev is None or prev == f.verdict else f"{prev} / {f.verdict}"
    grid = pd.DataFrame.from_dict(rows, orient="index")
    grid = grid.reindex(columns=[c for c in CHECK_NAMES.values() if c in grid.columns])
    grid.index.name = "hazard ratio"
    return grid.reset_index()


# The columns of :func:`printed_numbers`, also when the ledger prints no HR with a CI.
PRINTED_NUMBER_COLUMNS = ["row_id", "label", "model", "endpoint", "variable", "level", "reference",
                          "hr", "ci_low", "ci_high", "p", "se_min", "se_max", "var_bound",
                          "bound_from", "narrowest_low", "narrowest_high", "n_level",
                          "n_reference"]


def printed_numbers(ledger: Ledger, rounding="auto") -> pd.DataFrame:
    """The printed HR rows with the numbers the figures need: HR, CI, implied SE range, bound
    (rows without a CI are left out). Computed once per ledger and rounding (the notebooks draw
    several figures from it); each call returns its own copy."""
    policy = _policy_of(ledger, rounding)
    # the policy object is kept in the memo with the table, so its id cannot be reused meanwhile
    held = ledger.memo(("printed_numbers", id(policy)),
                       lambda: (policy, _printed_numbers(ledger, policy)))
    return held[1].copy()


def _printed_numbers(ledger: Ledger, policy) -> pd.DataFrame:
    rows = []
    for row in records(estimates(ledger)):
        if _missing(hr=row["hr"], l=row["ci_low"], u=row["ci_high"]) or _unparsable(
                hr=row["hr"], l=row["ci_low"], u=row["ci_high"]):
            continue
        g = group_sizes(ledger, row)
        kind = comparison_kind(ledger, row)
        bound, how, _src = ((None, "per-unit HR: no two-group bound", "none")
                            if kind == "continuous" else
                            variance_bound(g["n_level"], g["n_reference"], ledger.n))
        z = z_for_level(row["ci_level"] or "95")
        H = parse_printed(row["hr"]).value
        se_min, se_max = implied_se_range(row["ci_low"], row["ci_high"], row["ci_level"] or "95",
                                          policy.rule_for(row["locator"]))
        rows.append({"row_id": row["row_id"], "label": row_label(row), "model": row["model"],
                     "endpoint": row["endpoint"], "variable": row["variable"],
                     "level": row["level"], "reference": row["reference"],
                     "hr": H, "ci_low": parse_printed(row["ci_low"]).value,
                     "ci_high": parse_printed(row["ci_high"]).value, "p": row["p"],
                     "se_min": se_min, "se_max": se_max,
                     "var_bound": bound if bound is not None else np.nan, "bound_from": how,
                     "narrowest_low": H * math.exp(-z * math.sqrt(bound)) if bound else np.nan,
                     "narrowest_high": H * math.exp(z * math.sqrt(bound)) if bound else np.nan,
                     "n_level": g["n_level"], "n_reference": g["n_reference"]})
    return pd.DataFrame(rows, columns=PRINTED_NUMBER_COLUMNS)
