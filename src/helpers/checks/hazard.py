"""Checks on each printed hazard ratio (HR) with its confidence interval (CI) and p-value.

Every check has three layers, in the style of the R package scrutiny:

* a scalar function taking the numbers *as printed* (text, so trailing zeros survive), the group
  sizes where needed and the rounding rule, returning a :class:`HRResult` with a verdict;
* a ``*_map`` function applying it to every row of a DataFrame and returning a tidy table with a
  ``verdict`` column;
* a ``check_*`` function running it on a study's ledger and returning
  :class:`helpers.core.findings.Finding` records.

The checks (all assume the Wald statistics R's ``summary(coxph)`` prints: HR = exp(b),
CI = exp(b -/+ z se), p = 2 Phi(-|b| / se)):

1. :func:`p_from_ci`       the p-value implied by the CI against the printed p
                           (Altman & Bland 2011, BMJ 343:d2090);
2. :func:`ci_symmetry`     a Wald CI is symmetric about log HR, and holds the HR;
3. :func:`ci_width_bound`  a CI cannot be narrower than the information in the data allows:
                           Var(log HR) >= 1/d1 + 1/d0 >= 1/n1 + 1/n0 for a binary covariate;
4. :func:`hr_direction`    the side of 1 an HR lies on, against the paper's statements;
5. :func:`model_selection` the multivariable model against the selection rule of the methods.

Printed numbers stand for intervals (the values that round to them; :mod:`helpers.core.rounding`); a
check says ``impossible`` only when *no* combination of values inside those intervals passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..core.findings import Finding
from ..ledger.load import Ledger
from ..ledger.views import estimates, row_label
from ..core.printed import parse_printed, z_for_level
from ..core.rounding import interval as rounding_interval

AREA = "cox"
TINY = 1e-300

CHECK_NAMES = {
    "p_from_ci": "1 · p from the CI",
    "ci_symmetry": "2 · symmetry",
    "ci_width_bound": "3 · narrowest possible CI",
    "hr_direction": "4 · direction",
}


# --------------------------------------------------------------------------- printed numbers


def printed_box(text: str, rounding: str = "auto", *, low: float = -math.inf,
                high: float = math.inf) -> tuple[float, float]:
    """The closed interval of true values that print as ``text`` under ``rounding``.

    ``auto`` means rounding to nearest (half-up and half-even give the same interval up to its end
    points, which are kept: the most favourable reading). A bound (``<0.001``) gives its open side.
    The result is clipped to [``low``, ``high``].
    """
    rules = ("half_up", "half_even") if rounding in ("auto", None) else (rounding,)
    lo, hi = math.inf, -math.inf
    for rule in rules:
        iv = rounding_interval(text, rule)
        lo, hi = min(lo, float(iv.low)), max(hi, float(iv.high))
    return max(lo, low), min(hi, high)


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


@dataclass(frozen=True)
class HRResult:
    """The outcome of one check on one printed HR: a verdict, what was expected, and the evidence."""

    verdict: str
    expected: str
    explanation: str
    values: dict = field(default_factory=dict)
    assumptions: tuple = ()   # keys of core.evidence.ASSUMPTIONS the verdict rests on


def _untestable(why: str) -> HRResult:
    return HRResult("not testable", "", why, {})


def _ci_boxes(hr: str, ci_low: str, ci_high: str, rounding: str):
    h = printed_box(hr, rounding, low=TINY)
    lo = printed_box(ci_low, rounding, low=TINY)
    hi = printed_box(ci_high, rounding, low=TINY)
    return h, lo, hi


def rule_of(rounding, row) -> str:
    """The rounding rule for one ledger row: a policy's rule for the row's place, else the rule."""
    if hasattr(rounding, "rule_for"):
        return rounding.rule_for(str(row.get("locator", "")))
    return rounding


def _missing(**fields) -> str | None:
    empty = [k for k, v in fields.items() if _text(v) == ""]
    return ", ".join(empty) if empty else None


# --------------------------------------------------------------------------- 1. p from the CI


def implied_se_range(ci_low: str, ci_high: str, ci_level: str | None = "95",
                     rounding: str = "auto") -> tuple[float, float]:
    """Smallest and largest SE of log HR a printed CI allows: (ln U - ln L) / (2 z) over the
    rounding boxes of L and U (Altman & Bland 2011, BMJ 343:d2090)."""
    z = z_for_level(ci_level)
    l1, l2 = printed_box(ci_low, rounding, low=TINY)
    u1, u2 = printed_box(ci_high, rounding, low=TINY)
    se_min = max(0.0, math.log(u1) - math.log(l2)) / (2 * z)
    se_max = (math.log(u2) - math.log(l1)) / (2 * z)
    return se_min, se_max


def p_from_ci(hr: str, ci_low: str, ci_high: str, p: str, *, ci_level: str | None = "95",
              rounding: str = "auto") -> HRResult:
    """Is the printed p reproducible from the printed HR and CI?

    Wald test (Altman & Bland 2011, BMJ 343:d2090): SE = (ln U - ln L) / (2 z),
    z_stat = |ln HR| / SE, p = 2 Phi(-z_stat). Interval arithmetic over the rounding boxes of HR,
    L, U gives the range of p the printed numbers allow; the estimate is taken from the HR box or
    from the CI's geometric midpoint, whichever reproduces more. ``consistent`` when that range
    meets the printed p (its rounding box, or its open side for ``<0.001``), else ``impossible``.
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high, p=p)
    if miss:
        return _untestable(f"not printed: {miss}")
    z = z_for_level(ci_level)
    (h1, h2), (l1, l2), (u1, u2) = _ci_boxes(hr, ci_low, ci_high, rounding)
    se_min, se_max = implied_se_range(ci_low, ci_high, ci_level, rounding)
    # |estimate| range: HR box and CI-midpoint box (hull of both, on the log scale).
    est_boxes = [(math.log(h1), math.log(h2)),
                 ((math.log(l1) + math.log(u1)) / 2, (math.log(l2) + math.log(u2)) / 2)]
    abs_lo = min(0.0 if a <= 0 <= b else min(abs(a), abs(b)) for a, b in est_boxes)
    abs_hi = max(max(abs(a), abs(b)) for a, b in est_boxes)
    z_lo = abs_lo / se_max if se_max > 0 else math.inf
    z_hi = abs_hi / se_min if se_min > 0 else math.inf
    p_lo = float(2 * norm.sf(z_hi))
    p_hi = float(2 * norm.sf(z_lo))
    pp1, pp2 = printed_box(p, rounding, low=0.0, high=1.0)
    se_point = (math.log(parse_printed(ci_high).value) - math.log(parse_printed(ci_low).value)) / (2 * z)
    p_point = float(2 * norm.sf(abs(math.log(parse_printed(hr).value)) / se_point)) if se_point > 0 else 0.0
    values = {"se_min": se_min, "se_max": se_max, "p_low": p_lo, "p_high": p_hi, "p_point": p_point,
              "printed_p_low": pp1, "printed_p_high": pp2}
    expected = f"p in [{_fmt_p(p_lo)}, {_fmt_p(p_hi)}] (at the printed values {_fmt_p(p_point)})"
    if p_lo <= pp2 and pp1 <= p_hi:
        return HRResult("consistent", expected,
                        f"the Wald p implied by HR {hr} ({ci_low}-{ci_high}) can print as {p}.", values)
    side = "larger" if pp1 > p_hi else "smaller"
    level_alpha = 1 - (2 * norm.cdf(z) - 1)
    ci_excl = l1 > 1 or u2 < 1            # every reading of the printed CI excludes 1
    ci_incl = l2 < 1 < u1                 # every reading of the printed CI contains 1
    what = (f"no HR, CI and p within rounding of the printed {hr} ({ci_low}-{ci_high}) give "
            f"p = {p}: the printed p is {side} than any Wald p the CI allows (SE of log HR "
            f"between {_fmt(se_min)} and {_fmt(se_max)}).")
    if (ci_excl and pp1 >= level_alpha) or (ci_incl and pp2 < level_alpha):
        # A test and the interval it inverts agree about significance at the CI's level: a CI that
        # excludes 1 means p < 1 - level, one that contains 1 means p >= 1 - level. The printed
        # pair breaks that duality whatever the test, so this needs no model assumption.
        agree = "excludes" if ci_excl else "contains"
        need = "below" if ci_excl else "at or above"
        return HRResult(
            "impossible", expected,
            what + f" The CI {agree} 1, so the p of the test it comes from is {need} "
            f"{_fmt_p(level_alpha)}; a printed p on the other side cannot come from the same "
            "analysis.", values)
    return HRResult(
        "inconsistent", expected,
        what + " Printed p and CI agree about significance at the CI's level, so the mismatch "
        "rests on both coming from one Wald test (as R's summary(coxph) prints them).", values,
        ("same_test", "wald_interval"))


# --------------------------------------------------------------------------- 2. symmetry


def ci_symmetry(hr: str, ci_low: str, ci_high: str, *, rounding: str = "auto") -> HRResult:
    """Can a Wald CI round to the printed one? exp(b -/+ z se) is symmetric about b = ln HR, so
    some h, l, u in the rounding boxes must satisfy h^2 = l u (and l <= h <= u).

    ``impossible`` if the HR lies outside its own CI or no such h, l, u exists. Profile-likelihood
    or bootstrap intervals need not be symmetric; R's ``summary(coxph)`` prints Wald intervals.
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}")
    (h1, h2), (l1, l2), (u1, u2) = _ci_boxes(hr, ci_low, ci_high, rounding)
    H, L, U = (parse_printed(x).value for x in (hr, ci_low, ci_high))
    lower_arm, upper_arm = math.log(H) - math.log(L), math.log(U) - math.log(H)
    values = {"lower_arm": lower_arm, "upper_arm": upper_arm,
              "geo_mid_low": math.sqrt(l1 * u1), "geo_mid_high": math.sqrt(l2 * u2)}
    expected = (f"HR = sqrt(L x U) in [{_fmt(values['geo_mid_low'], 4)}, "
                f"{_fmt(values['geo_mid_high'], 4)}]")
    if h2 < l1 or h1 > u2:
        return HRResult("impossible", f"HR inside [{ci_low}, {ci_high}]",
                        f"the HR {hr} lies outside its own CI ({ci_low}-{ci_high}).", values)
    if max(h1 * h1, l1 * u1) <= min(h2 * h2, l2 * u2):
        return HRResult("consistent", expected,
                        f"the CI is symmetric about ln HR within rounding (log arms "
                        f"{lower_arm:.3f} below, {upper_arm:.3f} above).", values)
    return HRResult("inconsistent", expected,
                    f"no values within rounding make the CI symmetric about ln HR: on the log "
                    f"scale the CI reaches {lower_arm:.3f} below the HR and {upper_arm:.3f} above "
                    f"it. A Wald CI, which R's summary(coxph) prints, has equal arms; a "
                    f"profile-likelihood or bootstrap CI need not.", values, ("wald_interval",))


# --------------------------------------------------------------------------- 3. narrowest CI


def variance_bound(n_level: int | None, n_reference: int | None, n_total: int | None):
    """The smallest Var(log HR) a binary covariate allows, and how it was obtained.

    At the maximum partial-likelihood estimate the score for x is zero, so the risk-set shares
    p_j of the level at the d event times sum to d1; Var = 1 / sum p_j (1 - p_j) and, by
    concavity, sum p_j (1 - p_j) <= d p_bar (1 - p_bar) = d1 d0 / d. Hence
    Var(log HR) >= 1/d1 + 1/d0 >= 1/n1 + 1/n0 (events are at most patients), with or without
    other covariates in the model ([I^-1]_11 >= 1/I_11). Without group sizes the split most
    favourable to a narrow CI is n/2, n/2: 4/n. (Score and information of the Cox partial
    likelihood, Efron ties included: Therneau & Grambsch 2000, Modeling Survival Data, ch. 3.)
    """
    if n_level and n_reference:
        return 1.0 / n_level + 1.0 / n_reference, f"1/{n_level} + 1/{n_reference}"
    if n_total:
        return 4.0 / n_total, f"4/{n_total} (group sizes not printed: even split, the most favourable)"
    return None, "no group sizes and no N"


def ci_width_bound(ci_low: str, ci_high: str, *, n_level: int | None = None,
                   n_reference: int | None = None, n_total: int | None = None,
                   ci_level: str | None = "95", rounding: str = "auto") -> HRResult:
    """Is the printed CI wider than the narrowest one the group sizes allow?

    The widest CI that rounds to the printed limits gives SE_max = (ln U_max - ln L_min) / (2 z);
    ``impossible`` when SE_max^2 < 1/n1 + 1/n0 (see :func:`variance_bound`), i.e. even with every
    patient an event the data could not estimate the HR that precisely.
    """
    miss = _missing(ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}")
    bound, how = variance_bound(n_level, n_reference, n_total)
    if bound is None:
        return _untestable("no group sizes and no cohort size to bound the variance")
    se_min, se_max = implied_se_range(ci_low, ci_high, ci_level, rounding)
    z = z_for_level(ci_level)
    min_se = math.sqrt(bound)
    events_needed = 4.0 / se_max ** 2 if se_max > 0 else math.inf
    values = {"se_max": se_max, "var_max": se_max ** 2, "var_bound": bound, "se_bound": min_se,
              "ratio_bound": math.exp(2 * z * min_se), "events_needed": events_needed,
              "bound_from": how}
    expected = (f"SE(log HR) >= {_fmt(min_se)} ({how}); CI upper/lower >= "
                f"{values['ratio_bound']:.2f}")
    if se_max ** 2 < bound:
        printed_sizes = bool(n_level and n_reference)
        if printed_sizes:
            # Var >= 1/d1 + 1/d0 with d1 <= n1, d0 <= n0: the events the CI needs in the smaller
            # group when the other has all its patients as events
            small, large = sorted((n_level, n_reference))
            rest = se_max ** 2 - 1.0 / large
            need_small = (1.0 / rest) if rest > 0 else math.inf
            require = (f"with {n_level} and {n_reference} patients in the two groups, Var(log HR) "
                       f">= 1/{n_level} + 1/{n_reference} = {_fmt(bound)} even if every patient "
                       f"had an event; the printed CI needs variance at most {_fmt(se_max ** 2)}"
                       + (f", i.e. at least {need_small:.0f} events in the group of {small} "
                          f"patients" if math.isfinite(need_small) else
                          ", which no number of events in either group gives") + ".")
            assumed = ("wald_interval",)
        else:
            require = (f"no group sizes are printed: even the split most favourable to a narrow "
                       f"CI ({how}) needs variance at least {_fmt(bound)}; the CI would need at "
                       f"least {events_needed:.0f} events, more than the {n_total} patients.")
            assumed = ("wald_interval", "group_sizes_assumed")
        return HRResult(
            "inconsistent", expected,
            f"the widest CI rounding to ({ci_low}-{ci_high}) has SE(log HR) = {_fmt(se_max)} "
            f"(read as a Wald interval): narrower than any Cox fit on these patients allows; "
            + require, values, assumed)
    return HRResult("consistent", expected,
                    f"SE(log HR) up to {_fmt(se_max)} is at least the bound {_fmt(min_se)} "
                    f"({how}).", values)


# --------------------------------------------------------------------------- 4. direction


def hr_direction(hr: str, ci_low: str, ci_high: str, expected_side: str, *,
                 rounding: str = "auto") -> HRResult:
    """Does the HR lie on the side of 1 a statement requires (``expected_side`` 'above'/'below')?

    ``consistent`` when the whole CI is on that side; ``inconsistent`` (category contradiction)
    when the whole CI is on the other side; ``not testable`` when the CI includes 1 (or touches it
    within rounding).
    """
    miss = _missing(hr=hr, ci_low=ci_low, ci_high=ci_high)
    if miss:
        return _untestable(f"not printed: {miss}")
    if expected_side not in ("above", "below"):
        raise ValueError(f"expected_side must be 'above' or 'below', not {expected_side!r}")
    (l1, l2), (u1, u2) = printed_box(ci_low, rounding, low=TINY), printed_box(ci_high, rounding, low=TINY)
    values = {"expected_side": expected_side}
    expected = f"HR {'>' if expected_side == 'above' else '<'} 1 (whole CI)"
    if l1 > 1:
        side = "above"
    elif u2 < 1:
        side = "below"
    else:
        return HRResult("not testable", expected,
                        f"the CI ({ci_low}-{ci_high}) includes 1: the data do not decide the "
                        f"direction.", values)
    if side == expected_side:
        return HRResult("consistent", expected,
                        f"HR {hr} ({ci_low}-{ci_high}) lies {side} 1 as the statement says.", values)
    return HRResult("inconsistent", expected,
                    f"HR {hr} ({ci_low}-{ci_high}) lies {side} 1: the table shows the opposite of "
                    f"the statement.", values, ("same_quantity",))


# --------------------------------------------------------------------------- map versions


def _map(df: pd.DataFrame, fn, **kwargs) -> pd.DataFrame:
    out = df.copy().reset_index(drop=True)
    results = [fn(row) for _, row in out.iterrows()]
    out["verdict"] = [r.verdict for r in results]
    out["expected"] = [r.expected for r in results]
    out["explanation"] = [r.explanation for r in results]
    keys = sorted({k for r in results for k in r.values})
    for k in keys:
        out[k] = [r.values.get(k, np.nan) for r in results]
    return out


def _get(row, col, default=""):
    return _text(row[col]) if col in row.index else default


def _int_or_none(x):
    t = _text(x)
    return int(float(t)) if t else None


def p_from_ci_map(df: pd.DataFrame, rounding: str = "auto") -> pd.DataFrame:
    """:func:`p_from_ci` on each row (columns ``hr``, ``ci_low``, ``ci_high``, ``p``,
    optional ``ci_level``)."""
    return _map(df, lambda r: p_from_ci(_get(r, "hr"), _get(r, "ci_low"), _get(r, "ci_high"),
                                        _get(r, "p"), ci_level=_get(r, "ci_level") or "95",
                                        rounding=rounding))


def ci_symmetry_map(df: pd.DataFrame, rounding: str = "auto") -> pd.DataFrame:
    """:func:`ci_symmetry` on each row (columns ``hr``, ``ci_low``, ``ci_high``)."""
    return _map(df, lambda r: ci_symmetry(_get(r, "hr"), _get(r, "ci_low"), _get(r, "ci_high"),
                                          rounding=rounding))


def ci_width_bound_map(df: pd.DataFrame, rounding: str = "auto") -> pd.DataFrame:
    """:func:`ci_width_bound` on each row (columns ``ci_low``, ``ci_high`` and ``n_level`` +
    ``n_reference`` or ``n_total``)."""
    return _map(df, lambda r: ci_width_bound(
        _get(r, "ci_low"), _get(r, "ci_high"), n_level=_int_or_none(_get(r, "n_level")),
        n_reference=_int_or_none(_get(r, "n_reference")), n_total=_int_or_none(_get(r, "n_total")),
        ci_level=_get(r, "ci_level") or "95", rounding=rounding))


def hr_direction_map(df: pd.DataFrame, rounding: str = "auto") -> pd.DataFrame:
    """:func:`hr_direction` on each row (columns ``hr``, ``ci_low``, ``ci_high``,
    ``expected_side``)."""
    return _map(df, lambda r: hr_direction(_get(r, "hr"), _get(r, "ci_low"), _get(r, "ci_high"),
                                           _get(r, "expected_side"), rounding=rounding))


# --------------------------------------------------------------------------- the ledger


def _printed_hr(row) -> str:
    return f"{row['hr']} ({row['ci_low']}-{row['ci_high']})" + (f", p {row['p']}" if _text(row.get('p')) else "")


def _finding(ledger: Ledger, row, check: str, res: HRResult, category: str = "statistical",
             printed: str | None = None, extra_locators=()) -> Finding:
    return Finding(study=ledger.study, area=AREA, check=check, item=row_label(row),
                   verdict=res.verdict, category=category,
                   locators=(row["locator"], *extra_locators),
                   printed=printed if printed is not None else _printed_hr(row),
                   expected=res.expected, explanation=res.explanation, quantity=row["quantity"],
                   assumptions=res.assumptions)


def check_p_from_ci(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
    """Check 1 on every printed HR of the ledger."""
    out = []
    for _, row in estimates(ledger).iterrows():
        res = p_from_ci(row["hr"], row["ci_low"], row["ci_high"], row["p"],
                        ci_level=row["ci_level"] or "95", rounding=rule_of(rounding, row))
        out.append(_finding(ledger, row, "p_from_ci", res))
    return out


def check_ci_symmetry(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
    """Check 2 on every printed HR of the ledger."""
    return [_finding(ledger, row, "ci_symmetry",
                     ci_symmetry(row["hr"], row["ci_low"], row["ci_high"],
                                 rounding=rule_of(rounding, row)))
            for _, row in estimates(ledger).iterrows()]


def group_sizes(ledger: Ledger, row) -> dict:
    """Patients per level for one HR row: printed next to the HR (``n_level``/``n_reference``), else
    from ``counts.csv`` through ``level_quantity``/``reference_quantity``. When a quantity is printed
    with different counts in different places, the pair giving the smallest bound (most favourable
    to the paper) among those summing to at most N is used and the alternatives are listed."""
    n1, n0 = _int_or_none(row.get("n_level")), _int_or_none(row.get("n_reference"))
    if n1 and n0:
        return {"n_level": n1, "n_reference": n0, "source": "printed with the HR", "alternatives": ""}
    counts = ledger.counts

    def options(q):
        if not q or counts.empty:
            return []
        rows = counts[(counts["quantity"] == q) & (counts["count"] != "")]
        return sorted({int(c) for c in rows["count"]})

    a, b = options(_text(row.get("level_quantity"))), options(_text(row.get("reference_quantity")))
    # Two levels of one variable cannot hold more patients than the cohort.
    pairs = [(x, y) for x in a for y in b if x > 0 and y > 0 and x + y <= ledger.n]
    if pairs:
        best = min(pairs, key=lambda xy: 1 / xy[0] + 1 / xy[1])
        alt = "; ".join(f"{x}/{y}" for x, y in pairs if (x, y) != best)
        dropped = [(x, y) for x in a for y in b if x + y > ledger.n]
        if dropped:
            alt += ("; " if alt else "") + "excluded as summing above N: " + ", ".join(
                f"{x}/{y}" for x, y in dropped)
        return {"n_level": best[0], "n_reference": best[1],
                "source": f"counts.csv ({row['level_quantity']}, {row['reference_quantity']})",
                "alternatives": alt}
    return {"n_level": None, "n_reference": None, "source": "", "alternatives": ""}


def comparison_kind(ledger: Ledger, row) -> str:
    """What an HR row compares: ``binary`` (a level against the reference, two levels),
    ``multilevel`` (one of several levels against the reference) or ``continuous`` (a per-unit HR:
    ``type: continuous`` in covariates.yaml, or a reference that is no level of the variable)."""
    spec = ((ledger.covariates or {}).get("covariates") or {}).get(row["variable"], {}) or {}
    if spec.get("type") == "continuous":
        return "continuous"
    hr = ledger.hazard_ratios
    same = hr[(hr["model"] == row["model"]) & (hr["endpoint"] == row["endpoint"])
              & (hr["variable"] == row["variable"])]
    ref_rows = same[(same["role"] == "reference") & (same["level"] == row["reference"])]
    sized = any(_text(row.get(c)) for c in ("n_reference", "reference_quantity"))
    if ref_rows.empty and not sized:
        return "continuous"
    levels = set(same.loc[same["role"] == "estimate", "level"]) | {row["reference"]}
    return "multilevel" if len(levels) > 2 else "binary"


def check_ci_width_bound(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
    """Check 3 on every printed HR of the ledger (group sizes from :func:`group_sizes`).

    Binary comparisons use 1/n1 + 1/n0. For one level of a variable with more levels the model
    column is 'this level or not', so the bound is 1/n_level + 1/(N - n_level) (4/N without group
    sizes). Per-unit HRs of continuous covariates are not testable: the bound needs two groups.
    """
    out = []
    for _, row in estimates(ledger).iterrows():
        kind = comparison_kind(ledger, row)
        if kind == "continuous":
            res = HRResult("not testable", "", f"a per-unit HR ({row['level']}) of a continuous "
                                               f"covariate: the bound needs two groups.", {})
            out.append(_finding(ledger, row, "ci_width_bound", res))
            continue
        g = group_sizes(ledger, row)
        if kind == "multilevel" and not g["n_reference"]:
            # without the reference level's own count, everyone not in the level (most favourable)
            n_ref = ledger.n - g["n_level"] if g["n_level"] and g["n_level"] < ledger.n else None
            g = {**g, "n_reference": n_ref,
                 "source": g["source"] + (" (reference: all patients not in the level)"
                                          if n_ref else "")}
        res = ci_width_bound(row["ci_low"], row["ci_high"], n_level=g["n_level"],
                             n_reference=g["n_reference"], n_total=ledger.n,
                             ci_level=row["ci_level"] or "95", rounding=rule_of(rounding, row))
        if g["source"]:
            extra = f" Group sizes from {g['source']}."
            if g["alternatives"]:
                extra += (f" Other printed sizes ({g['alternatives']}); the pair giving the "
                          f"smallest bound is used.")
            res = HRResult(res.verdict, res.expected, res.explanation + extra, res.values,
                           res.assumptions)
        out.append(_finding(ledger, row, "ci_width_bound", res))
    return out


def _statement_side(statement, row) -> str | None:
    """'above'/'below': where the HR of ``row`` must lie if ``statement`` is true; None if the
    statement says nothing about this comparison."""
    worse = statement["kind"] == "poorer_prognosis"
    if statement["level"] == row["level"]:
        return "above" if worse else "below"
    if statement["level"] == row["reference"]:
        return "below" if worse else "above"
    return None


def _endpoint_matches(statement_endpoint: str, hr_endpoint: str) -> bool:
    return statement_endpoint in ("prognosis", "") or statement_endpoint == hr_endpoint


def check_hr_direction(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
    """Check 4: every printed HR against the paper's statements of direction.

    A statement 'level X has a poorer prognosis' requires HR(X vs reference) > 1 (or, when X is the
    reference, HR < 1). A CI wholly on the other side is ``inconsistent`` with category
    ``contradiction``: the table and the text of the same paper say opposite things. Not
    ``impossible``, because one slip (a swapped reference level in the table, a reversed word in
    the text) reconciles them. HRs with no statement are ``not testable``.
    """
    out = []
    st = ledger.statements
    for _, row in estimates(ledger).iterrows():
        relevant = [] if st.empty else [
            s for _, s in st[st["variable"] == row["variable"]].iterrows()
            if _endpoint_matches(s["endpoint"], row["endpoint"]) and _statement_side(s, row)]
        if not relevant:
            res = HRResult("not testable", "", f"the paper states no direction for "
                                              f"{row['variable']}.", {})
            out.append(_finding(ledger, row, "hr_direction", res, category="contradiction"))
            continue
        for s in relevant:
            side = _statement_side(s, row)
            res = hr_direction(row["hr"], row["ci_low"], row["ci_high"], side,
                               rounding=rule_of(rounding, row))
            kind = "poorer" if s["kind"] == "poorer_prognosis" else "better"
            res = HRResult(res.verdict, res.expected,
                           f"{s['locator']} says {row['variable']} {s['level']} has a {kind} "
                           f"prognosis ('{s['printed']}'); " + res.explanation, res.values,
                           res.assumptions)
            out.append(_finding(ledger, row, "hr_direction", res, category="contradiction",
                                printed=f"{_printed_hr(row)} | '{s['printed']}'",
                                extra_locators=(s["locator"],)))
    return out


# --------------------------------------------------------------------------- 5. the models


def _p_significant(p_text: str, alpha: float, rounding: str) -> bool | None:
    """True / False when every value the printed p stands for is below / not below alpha."""
    if not _text(p_text):
        return None
    lo, hi = printed_box(p_text, rounding, low=0.0, high=1.0)
    if hi < alpha:
        return True
    if lo >= alpha:
        return False
    return None


def model_comparison(ledger: Ledger, alpha: float | None = None, rounding: str = "auto") -> pd.DataFrame:
    """Univariable and multivariable estimates side by side, with what each printed number says
    about the selection rule (univariable p < alpha enters the multivariable model)."""
    alpha = ledger.alpha if alpha is None else alpha
    hr = ledger.hazard_ratios
    if hr.empty:
        return pd.DataFrame()
    key = ["endpoint", "variable", "level", "reference"]
    uni = hr[(hr["model"] == "univariable") & (hr["role"] == "estimate")]
    multi = hr[hr["model"] == "multivariable"]
    rows = []
    for _, u in uni.iterrows():
        m = multi[(multi[key] == u[key]).all(axis=1)]
        in_model = None if m.empty else bool((m["role"] == "estimate").any())
        mrow = m[m["role"] == "estimate"].iloc[0] if in_model else None
        pc = p_from_ci(u["hr"], u["ci_low"], u["ci_high"], u["p"] or "1",
                       ci_level=u["ci_level"] or "95", rounding=rounding).values
        ci_sig = (True if pc.get("p_high", 1) < alpha else
                  False if pc.get("p_low", 0) >= alpha else None)
        rows.append({
            "endpoint": u["endpoint"], "variable": u["variable"], "level": u["level"],
            "reference": u["reference"],
            "univariable": f"{u['hr']} ({u['ci_low']}-{u['ci_high']})", "p_uni": u["p"],
            "multivariable": "" if mrow is None else f"{mrow['hr']} ({mrow['ci_low']}-{mrow['ci_high']})",
            "p_multi": "" if mrow is None else mrow["p"],
            "in_model": in_model,
            "selected_by_p": _p_significant(u["p"], alpha, rounding),
            "p_implied_by_ci": f"[{_fmt_p(pc['p_low'])}, {_fmt_p(pc['p_high'])}]" if pc else "",
            "selected_by_ci": ci_sig,
            "ci_excludes_1": bool(parse_printed(u["ci_low"]).value > 1 or parse_printed(u["ci_high"]).value < 1)
            if _text(u["ci_low"]) and _text(u["ci_high"]) else None,
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


def check_model_selection(ledger: Ledger, alpha: float | None = None, rounding: str = "auto",
                          rule_stated: bool | None = None) -> list[Finding]:
    """Check 5: the multivariable model against the stated rule 'univariable p < alpha enters'.

    The rule is checked only where the paper states it: ``rule_stated`` True, or (None) a
    design.csv row ``multivariable_selection`` (its value, if a number below 1, is the selection
    level; otherwise ``alpha``). Per univariable variable: ``consistent`` when membership in the
    multivariable model follows the printed p (and the CI agrees); ``inconsistent`` (category
    design) when it does not; ``not testable`` when the printed p and the printed CI disagree about
    significance at alpha (the rule then depends on which printed number is right), when the p
    straddles alpha, when the paper prints no multivariable column for the variable, or when no
    selection rule is recorded.
    """
    alpha = ledger.alpha if alpha is None else alpha
    rule = selection_rule(ledger)
    if rule_stated is None:
        rule_stated = rule is not None
    if rule is not None:
        try:
            v = parse_printed(rule["value"]).value
            alpha = v if 0 < v < 1 else alpha
        except ValueError:
            pass
    comp = model_comparison(ledger, alpha, rounding)
    out = []
    if comp.empty:
        return out
    for (endpoint, variable), g in comp.groupby(["endpoint", "variable"], sort=False):
        sel_p = [s for s in g["selected_by_p"] if s is not None]
        sel_ci = [s for s in g["selected_by_ci"] if s is not None]
        by_p = any(sel_p) if sel_p else None
        by_ci = any(sel_ci) if sel_ci else None
        in_model = g["in_model"].iloc[0]
        first = g.iloc[0]
        printed = "; ".join(f"{r.level}: {r.univariable}, p {r.p_uni}" +
                            (f" | multivariable {r.multivariable}" if r.multivariable else
                             " | not in the multivariable model" if r.in_model is False else "")
                            for r in g.itertuples())
        status = ("in the multivariable model" if in_model else "not in the multivariable model")
        expected = (f"{'in' if by_p else 'not in'} the model (univariable p "
                    f"{'<' if by_p else '>='} {alpha:g})" if by_p is not None else "")
        if not rule_stated:
            verdict, why = "not testable", ("the ledger does not record that the multivariable "
                                            "model was built from the significant univariable "
                                            "factors (design.csv parameter "
                                            "'multivariable_selection').")
        elif in_model is None:
            verdict, why = "not testable", "the paper prints no multivariable column for this variable."
        elif by_p is None:
            verdict, why = "not testable", f"the printed p does not say whether p < {alpha:g}."
        elif by_p != in_model:
            verdict, why = "inconsistent", (f"the univariable p says the variable should "
                                            f"{'' if by_p else 'not '}enter the multivariable model, "
                                            f"but it is {status}.")
        elif by_ci is not None and by_ci != by_p:
            verdict = "not testable"
            why = (f"by the printed p the variable is correctly {status}; but the printed CI "
                   f"implies p {g['p_implied_by_ci'].iloc[0]}, by which the rule would have "
                   f"{'excluded' if by_p else 'selected'} it. The p and the CI disagree (see "
                   f"check 1), so whether the model follows its rule cannot be decided.")
        else:
            verdict, why = "consistent", f"{status}, as the univariable p and the CI both say."
        locs = tuple(dict.fromkeys(g["locator"]))
        if rule is not None:
            locs = (*locs, rule["locator"])
        out.append(Finding(study=ledger.study, area=AREA, check="model_selection",
                           item=f"{variable} ({endpoint})", verdict=verdict, category="design",
                           locators=locs, printed=printed,
                           expected=expected, explanation=f"alpha = {alpha:g}: " + why,
                           quantity=first["quantity"],
                           assumptions=("text_interpretation",) if verdict == "inconsistent" else ()))
    return out


# --------------------------------------------------------------------------- all checks


def check_all(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
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


def printed_numbers(ledger: Ledger, rounding: str = "auto") -> pd.DataFrame:
    """The printed HR rows with the numbers the figures need: HR, CI, implied SE range, bound."""
    rows = []
    for _, row in estimates(ledger).iterrows():
        g = group_sizes(ledger, row)
        kind = comparison_kind(ledger, row)
        if kind == "multilevel" and g["n_level"]:
            g = {**g, "n_reference": ledger.n - g["n_level"]}
        bound, how = ((None, "per-unit HR: no two-group bound") if kind == "continuous" else
                      variance_bound(g["n_level"], g["n_reference"], ledger.n))
        z = z_for_level(row["ci_level"] or "95")
        H = parse_printed(row["hr"]).value
        se_min, se_max = implied_se_range(row["ci_low"], row["ci_high"], row["ci_level"] or "95",
                                          rounding)
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
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the registry

from ..core.rounding import RULES  # noqa: E402
from .registry import Example, register  # noqa: E402

_ALTMAN = "Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ 2011;343:d2090"
_COX = ("Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model. Springer 2000, "
        "ch. 3 (score and information of the partial likelihood)")


def _key(f: Finding) -> tuple:
    return (f.quantity, f.locators, f.printed, f.item)


def honest(ctx, run) -> list[Finding]:
    """Run ``run(ledger, rounding)`` under the study's rounding policy; a flagged finding that
    another rule would clear rests on the inferred rule (and is at most inconsistent)."""
    found = run(ctx.ledger, ctx.policy)
    if not ctx.policy.inferred or not any(f.flagged for f in found):
        return found
    cleared = set()
    for rule in RULES:
        for f in run(ctx.ledger, rule):
            if not f.flagged:
                cleared.add(_key(f))
    out = []
    for f in found:
        if f.flagged and _key(f) in cleared:
            f = f.with_(verdict="inconsistent" if f.verdict == "impossible" else f.verdict,
                        assumptions=tuple(f.assumptions) + ctx.policy.assumptions,
                        explanation=f.explanation + " (Under another rounding rule the printed "
                        "numbers would agree: the verdict rests on the rule inferred for the paper.)")
        out.append(f)
    return out


def _hr_row(level, hr, lo, hi, p="", model="univariable", **kw):
    return {"quantity": f"cox.{model}.x.{level.lower()}", "model": model, "endpoint": "OS",
            "variable": "X", "level": level, "reference": "B", "role": "estimate", "hr": hr,
            "ci_low": lo, "ci_high": hi, "ci_level": "95", "p": p, **kw}


_REF = {"quantity": "cox.univariable.x.b", "model": "univariable", "endpoint": "OS",
        "variable": "X", "level": "B", "reference": "B", "role": "reference", "hr": "1"}


@register(
    "p_from_ci", family="hazard",
    title="The printed p follows from the printed hazard ratio and its CI",
    reads=["hazard_ratios"],
    assumptions=["arithmetic", "same_test", "wald_interval", "rounding_rule_inferred"],
    items=["4.9"], reference=_ALTMAN, category="statistical",
    formula="SE = (ln U - ln L)/(2z); p = 2 Phi(-|ln HR|/SE), over the rounding boxes",
    examples=[Example("pass", tables={"hazard_ratios": [_REF, _hr_row("A", "1.50", "1.20", "1.88", "<0.001")]}),
              Example("flag", tables={"hazard_ratios": [_REF, _hr_row("A", "1.50", "1.20", "1.88", "0.620")]})])
def p_from_ci_check(ctx) -> list[Finding]:
    """Check 1 on every printed HR (see :func:`p_from_ci`): impossible when p and CI disagree about
    significance at the CI's level; inconsistent, resting on one Wald test, otherwise."""
    return honest(ctx, check_p_from_ci)


@register(
    "ci_symmetry", family="hazard",
    title="Each CI is symmetric about its hazard ratio on the log scale, as a Wald CI is",
    reads=["hazard_ratios"], assumptions=["arithmetic", "wald_interval", "rounding_rule_inferred"],
    items=["4.9"], reference=_ALTMAN + "; Wald interval exp(b ± z SE)", category="statistical",
    formula="HR^2 = L x U for some h, l, u within rounding; HR outside its own CI is impossible",
    examples=[Example("pass", tables={"hazard_ratios": [_REF, _hr_row("A", "1.50", "1.20", "1.88")]}),
              Example("flag", tables={"hazard_ratios": [_REF, _hr_row("A", "1.50", "1.40", "2.90")]})])
def ci_symmetry_check(ctx) -> list[Finding]:
    """Check 2 on every printed HR (see :func:`ci_symmetry`)."""
    return honest(ctx, check_ci_symmetry)


@register(
    "ci_width_bound", family="hazard",
    title="No CI is narrower than the group sizes allow (Var(log HR) >= 1/n1 + 1/n0)",
    reads=["hazard_ratios"],
    assumptions=["wald_interval", "group_sizes_assumed", "rounding_rule_inferred"],
    items=["4.9", "4.6"], reference=_COX, category="statistical",
    formula="Var(ln HR) >= 1/d1 + 1/d0 >= 1/n1 + 1/n0; without sizes 4/N",
    examples=[Example("pass", meta={"n": 200}, tables={"hazard_ratios": [_REF, _hr_row(
                  "A", "1.50", "1.10", "2.05", n_level="100", n_reference="100")]}),
              Example("flag", meta={"n": 200}, tables={"hazard_ratios": [_REF, _hr_row(
                  "A", "1.50", "1.45", "1.55", n_level="100", n_reference="100")]})])
def ci_width_bound_check(ctx) -> list[Finding]:
    """Check 3 on every printed HR (see :func:`ci_width_bound` and :func:`variance_bound`)."""
    return honest(ctx, check_ci_width_bound)


_STATEMENT = {"quantity": "direction.x", "kind": "poorer_prognosis", "endpoint": "OS",
              "variable": "X", "level": "A", "source": "results", "locator": "Results ¶1",
              "printed": "A has a poorer prognosis"}


@register(
    "hr_direction", family="hazard",
    title="Each hazard ratio lies on the side of 1 the text claims",
    reads=["hazard_ratios", "statements"], needs_all=True,
    assumptions=["same_quantity", "rounding_rule_inferred"], items=["4.10"],
    reference="A statement of poorer prognosis for X requires HR(X vs reference) > 1",
    category="contradiction", formula="poorer prognosis of X: whole CI above 1",
    examples=[Example("pass", tables={"hazard_ratios": [_REF, _hr_row("A", "1.50", "1.20", "1.88")],
                                      "statements": [_STATEMENT]}),
              Example("flag", tables={"hazard_ratios": [_REF, _hr_row("A", "0.60", "0.48", "0.75")],
                                      "statements": [_STATEMENT]})])
def hr_direction_check(ctx) -> list[Finding]:
    """Check 4 on every printed HR with a statement of direction (see :func:`hr_direction`);
    the quantity of a direction finding is the HR's (``cox.``)."""
    return honest(ctx, check_hr_direction)


_RULE = {"quantity": "design.multivariable_selection", "kind": "analysis",
         "parameter": "multivariable_selection", "value": "0.05", "comparator": "<",
         "source": "methods", "locator": "Methods 2.3 ¶1"}


@register(
    "model_selection", family="hazard",
    title="The multivariable model holds exactly the variables its stated selection rule admits",
    reads=["hazard_ratios", "design"], needs_all=True,
    assumptions=["text_interpretation"], items=["4.9", "R:statistics"],
    reference="Selection rule as stated in the methods (univariable p < alpha enters the model)",
    category="design",
    examples=[Example("pass", meta={"alpha": 0.05}, tables={"design": [_RULE], "hazard_ratios": [
                  _REF, _hr_row("A", "1.50", "1.20", "1.88", "<0.001"),
                  {**_REF, "model": "multivariable", "quantity": "cox.multivariable.x.b"},
                  _hr_row("A", "1.45", "1.15", "1.83", "0.002", model="multivariable")]}),
              Example("flag", meta={"alpha": 0.05}, tables={"design": [_RULE], "hazard_ratios": [
                  _REF, _hr_row("A", "1.50", "1.20", "1.88", "<0.001"),
                  {**_REF, "model": "multivariable", "quantity": "cox.multivariable.x.b",
                   "role": "not_in_model", "hr": ""},
                  {**_hr_row("A", "", "", "", model="multivariable"), "role": "not_in_model"}]})])
def model_selection_check(ctx) -> list[Finding]:
    """Check 5 (see :func:`check_model_selection`); not testable without a significance level."""
    if ctx.alpha is None:
        return []
    return check_model_selection(ctx.ledger, ctx.alpha, ctx.policy.rule)
