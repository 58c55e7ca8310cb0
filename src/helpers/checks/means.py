"""Means and SDs (check family 5).

* :func:`grim_mean` -- can a mean of ``n`` values recorded on a grid (``granularity``, e.g. whole
  years) print as reported? (Brown NJL, Heathers JAJ 2017, The GRIM test, Soc Psychol Personal Sci
  8:363-369.) Not testable when ``granularity / n`` is at most one unit of the printed precision.
* :func:`grimmer` -- can the SD go with that mean? The sum of squares of integers is an integer of
  the same parity as their sum (Anaya J 2016, The GRIMMER test, PeerJ Preprints 4:e2400; Allard A
  2018, analytic GRIMMER). Not testable when the sum of squares the SD allows spans two or more
  integers for every possible sum.
* :func:`sd_feasible` -- can data inside a range [a, b] (e.g. the inclusion ages) have that SD? The
  variance of data in [a, b] with mean M is at most (M - a)(b - M) (Bhatia R, Davis C 2000, Am Math
  Monthly 107:353-357), times n/(n-1) for the sample SD.
* :func:`cutoff_table` / :func:`cutoff_findings` -- the share of patients beyond each cut-off the
  paper uses (level names such as ``<60`` or ``>=10cm`` in ``hazard_ratios.csv``, or ``cut`` in
  ``covariates.yaml``) that the printed mean and SD imply under normality, set beside any printed
  count of that level. A printed share above Cantelli's one-sided bound (sigma^2 / (sigma^2 + t^2),
  no distributional assumption) is impossible; a cut-off outside the printed range leaves a level
  empty.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Sequence

import pandas as pd
from scipy.stats import norm

from .arithmetic import Result, area_of, with_prefix
from ..core.findings import Finding
from ..ledger.load import Ledger
from ..core.printed import parse_int, parse_printed
from ..core.text import slug
from ..core.rounding import RULES, Interval, check_rule, exact, interval

MAX_CANDIDATES = 20000


# ------------------------------------------------------------------------------------------
# GRIM and GRIMMER
# ------------------------------------------------------------------------------------------

def _sums(iv: Interval, n: int, g: Fraction) -> list[int]:
    """Integers k with k*g/n inside ``iv`` (possible sums, in units of the grid ``g``)."""
    lo = math.floor(iv.low * n / g) - 1
    hi = math.ceil(iv.high * n / g) + 1
    if hi - lo > MAX_CANDIDATES:
        raise OverflowError
    return [k for k in range(lo, hi + 1) if iv.contains(Fraction(k) * g / n)]


def _granularity(granularity) -> Fraction | None:
    if granularity is None or str(granularity).strip() in ("", "nan", "None"):
        return None
    g = exact(str(granularity))
    if g <= 0:
        raise ValueError(f"granularity {granularity} is not positive")
    return g


def grim_mean_result(x: str, n: int, rule: str = "half_up", granularity="1") -> Result:
    """:func:`grim_mean` with its explanation."""
    check_rule(rule)
    if n <= 0:
        raise ValueError(f"n {n} is not a positive integer")
    p = parse_printed(x)
    g = _granularity(granularity)
    if g is None:
        return Result("not testable", "rounding", "",
                      "continuous data (no granularity): every mean is attainable.")
    unit = Fraction(1, 10 ** p.decimals)
    if p.bound or g / n <= unit:
        return Result("not testable", "rounding", "",
                      f"with n = {n}, means of values on a grid of {g} are {float(g / n):.4g} "
                      f"apart, not coarser than the printed precision {float(unit):g}: every "
                      f"value is attainable.")
    ks = _sums(interval(p, rule), n, g)
    if ks:
        shown = f"sum {ks[0] * g} / {n} = {float(ks[0] * g / n):.4f}"
        return Result("consistent", "rounding", shown, f"{x} is attainable: {shown}.")
    others = [r for r in RULES if r != rule and _sums(interval(p, r), n, g)]
    if others:
        return Result("inconsistent", "rounding", "",
                      f"{x} is not a mean of {n} values on a grid of {g} under {rule}; it is under "
                      f"{' or '.join(others)}.")
    return Result("impossible", "rounding", "",
                  f"no sum of {n} values on a grid of {g} gives a mean that prints as {x}.")


def grim_mean(x: str, n: int, rule: str = "half_up", granularity="1") -> str:
    """GRIM: whether a mean of ``n`` values on a grid (``granularity``) can print as ``x``."""
    return grim_mean_result(x, n, rule, granularity).verdict


def grimmer_result(x: str, sd: str, n: int, rule: str = "half_up", granularity="1") -> Result:
    """:func:`grimmer` with its explanation."""
    check_rule(rule)
    grim = grim_mean_result(x, n, rule, granularity)
    if grim.verdict != "consistent":
        return Result("not testable", "rounding", "",
                      f"GRIM on the mean is '{grim.verdict}', so the SD cannot be tested on top.")
    if n < 2:
        return Result("not testable", "rounding", "", "an SD needs n >= 2.")
    g = _granularity(granularity)
    mean_iv = interval(x, rule).scaled(1 / g)
    sd_iv = interval(sd, rule).scaled(1 / g)
    if sd_iv.low < 0:
        sd_iv = Interval(Fraction(0), sd_iv.high, True, sd_iv.high_closed)
    ks = _sums(mean_iv, n, Fraction(1))
    widths = []
    for k in ks:
        q = Interval(sd_iv.low ** 2 * (n - 1) + Fraction(k * k, n),
                     sd_iv.high ** 2 * (n - 1) + Fraction(k * k, n), sd_iv.low_closed, sd_iv.high_closed)
        widths.append(q.high - q.low)
        start = math.floor(q.low)
        for qq in range(start, math.ceil(q.high) + 1):
            if qq % 2 == k % 2 and q.contains(qq):
                return Result("consistent", "rounding", "",
                              f"sum {k * g} and sum of squares {qq * g * g} give mean {x} and "
                              f"SD {sd} with n = {n}.")
    if min(widths) >= 2:
        return Result("not testable", "rounding", "",
                      "the SD allows a range of sums of squares wider than two integers.")
    return Result("impossible", "rounding", "",
                  f"no integer sum of squares (of the parity of the sum) gives SD {sd} with mean "
                  f"{x} and n = {n}.")


def grimmer(x: str, sd: str, n: int, rule: str = "half_up", granularity="1") -> str:
    """GRIMMER: whether an SD ``sd`` can go with a GRIM-consistent mean ``x`` of ``n`` values
    on a grid (``granularity``)."""
    return grimmer_result(x, sd, n, rule, granularity).verdict


# ------------------------------------------------------------------------------------------
# SD feasibility inside a range (Bhatia-Davis)
# ------------------------------------------------------------------------------------------

def max_sd(mean: float, n: int, low: float, high: float) -> float:
    """The largest sample SD of ``n`` values in [low, high] with the given mean (Bhatia-Davis)."""
    var = max(0.0, (mean - low) * (high - mean))
    return math.sqrt(var * n / (n - 1)) if n > 1 else 0.0


def sd_feasible_result(x: str, sd: str, n: int, low: float, high: float,
                       rule: str = "half_up") -> Result:
    """:func:`sd_feasible` with its explanation."""
    check_rule(rule)
    m_iv, s_iv = interval(x, rule), interval(sd, rule)
    lo_m, hi_m = max(float(m_iv.low), low), min(float(m_iv.high), high)
    if lo_m > hi_m:
        return Result("not testable", "statistical", "",
                      f"the mean {x} lies outside [{low:g}, {high:g}] (see the design check).")
    centre = (low + high) / 2
    best_m = min(max(centre, lo_m), hi_m)
    bound = max_sd(best_m, n, low, high)
    expected = f"SD <= {bound:.2f}"
    if float(s_iv.low) > bound:
        return Result("impossible", "statistical", expected,
                      f"{n} values in [{low:g}, {high:g}] with mean {x} have an SD of at most "
                      f"{bound:.2f} (Bhatia-Davis); printed {sd}.")
    return Result("consistent", "statistical", expected,
                  f"{n} values in [{low:g}, {high:g}] with mean {x} can have an SD up to "
                  f"{bound:.2f} (Bhatia-Davis); printed {sd}.")


def sd_feasible(x: str, sd: str, n: int, low: float, high: float, rule: str = "half_up") -> str:
    """Whether an SD is possible for ``n`` values inside [low, high] with mean ``x``
    (Bhatia & Davis 2000)."""
    return sd_feasible_result(x, sd, n, low, high, rule).verdict


# ------------------------------------------------------------------------------------------
# matching names: hazard-ratio variables and design parameters to summary variables
# ------------------------------------------------------------------------------------------

def _words(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(s).lower()) if w]


def _subsequence(short: str, word: str) -> bool:
    if not word.startswith(short[:1]):
        return False
    it = iter(word)
    return all(ch in it for ch in short)


def name_score(short: str, full: str) -> int:
    """How well a (possibly abbreviated) name matches a full name: 4 same words, 3 initials
    (``CRP`` ~ C-reactive protein), 2 a word's prefix (``ALB`` ~ Albumin), 1 letters in order
    inside one word (``PLT`` ~ platelet), 0 no match."""
    s, words = slug(short), _words(full)
    if not s or not words:
        return 0
    if s == slug(full):
        return 4
    compact = s.replace("_", "")
    if len(words) > 1 and compact == "".join(w[0] for w in words):
        return 3
    if len(compact) >= 3 and any(w.startswith(compact) for w in words):
        return 2
    if len(compact) >= 3 and any(_subsequence(compact, w) for w in words):
        return 1
    return 0


def match_name(short: str, candidates: Sequence[str]) -> str | None:
    """The candidate that ``short`` names (the single best :func:`name_score` above 0), or None."""
    scores = [(name_score(short, c), c) for c in dict.fromkeys(candidates)]
    best = max((s for s, _ in scores), default=0)
    winners = [c for s, c in scores if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


# ------------------------------------------------------------------------------------------
# findings on a ledger
# ------------------------------------------------------------------------------------------

def mean_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                  ) -> list[Finding]:
    """GRIM and GRIMMER for every mean (± SD) of ``summaries.csv``; only rows with a
    ``granularity`` (data on a grid) can be tested."""
    s = with_prefix(ledger.summaries, prefix)
    out = []
    for _, r in s[s["statistic"].isin(["mean_sd", "mean"])].iterrows():
        n = parse_int(r["n"])
        gran = r.get("granularity", "")
        res = grim_mean_result(r["center"], n, rule, gran or None)
        item = f"{r['variable']} mean"
        out.append(Finding(study=ledger.study, area=area_of(r["quantity"]), check="grim_mean",
                           item=item, verdict=res.verdict, category=res.category,
                           locators=(r["locator"],), printed=f"{r['printed']} (n = {n})",
                           expected=res.expected, explanation=res.explanation,
                           quantity=r["quantity"]))
        if str(r["sd"]).strip():
            if gran:
                res = grimmer_result(r["center"], r["sd"], n, rule, gran)
            else:
                res = Result("not testable", "rounding", "", "continuous data (no granularity).")
            out.append(Finding(study=ledger.study, area=area_of(r["quantity"]), check="grimmer",
                               item=f"{r['variable']} SD", verdict=res.verdict,
                               category=res.category, locators=(r["locator"],),
                               printed=f"{r['printed']} (n = {n})", expected=res.expected,
                               explanation=res.explanation, quantity=r["quantity"]))
    return out


def mean_table(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
               ) -> pd.DataFrame:
    """Every printed mean with what GRIM needs: n, the grid of the data (granularity), the step
    between attainable means (granularity / n) and one unit of the printed precision. GRIM has
    power only where the step is larger than the unit."""
    s = with_prefix(ledger.summaries, prefix)
    recs = []
    for _, r in s[s["statistic"].isin(["mean_sd", "mean"])].iterrows():
        n = parse_int(r["n"])
        g = _granularity(r.get("granularity", ""))
        unit = float(parse_printed(r["center"]).unit)
        recs.append({"variable": r["variable"], "locator": r["locator"], "printed": r["printed"],
                     "n": n, "granularity": None if g is None else float(g),
                     "step": None if g is None else float(g) / n, "unit": unit,
                     "verdict": grim_mean(r["center"], n, rule, r.get("granularity", "") or None)})
    return pd.DataFrame(recs, columns=["variable", "locator", "printed", "n", "granularity",
                                       "step", "unit", "verdict"])


def grim_mean_map(df: pd.DataFrame, rule: str = "half_up", *, x: str = "center", n: str = "n",
                  granularity: str = "granularity", source: str = "data frame") -> pd.DataFrame:
    """:func:`grim_mean` over the rows of ``df`` (a ``verdict`` column added)."""
    from .arithmetic import map_check

    return map_check(grim_mean, df, source, constants={"rule": rule}, x=x, n=n,
                     granularity=granularity)


def grimmer_map(df: pd.DataFrame, rule: str = "half_up", *, x: str = "center", sd: str = "sd",
                n: str = "n", granularity: str = "granularity",
                source: str = "data frame") -> pd.DataFrame:
    """:func:`grimmer` over the rows of ``df`` (a ``verdict`` column added)."""
    from .arithmetic import map_check

    return map_check(grimmer, df, source, constants={"rule": rule}, x=x, sd=sd, n=n,
                     granularity=granularity)


def limits_for(ledger: Ledger, variable: str) -> tuple[float, float, pd.Series] | None:
    """The inclusion limits ``(low, high, design row)`` stated for a summary variable, matched by
    name to a ``design.csv`` inclusion row; -inf/inf for an open side."""
    d = ledger.design
    d = d[d["kind"] == "inclusion"]
    if d.empty:
        return None
    params = list(d["parameter"])
    hit = None
    for p in params:
        if slug(p) == slug(variable):
            hit = p
    if hit is None:
        return None
    row = d[d["parameter"] == hit].iloc[0]
    v = parse_printed(row["value"]).value
    comp = row["comparator"]
    if comp == "range" and str(row["value_high"]).strip():
        return v, parse_printed(row["value_high"]).value, row
    if comp in (">", ">="):
        return v, math.inf, row
    if comp in ("<", "<="):
        return -math.inf, v, row
    return None


def sd_feasibility_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                            ) -> list[Finding]:
    """Bhatia-Davis for every mean ± SD whose variable has two-sided inclusion limits."""
    s = with_prefix(ledger.summaries, prefix)
    out = []
    for _, r in s[s["statistic"] == "mean_sd"].iterrows():
        lim = limits_for(ledger, r["variable"])
        if lim is None or math.isinf(lim[0]) or math.isinf(lim[1]):
            continue
        low, high, row = lim
        res = sd_feasible_result(r["center"], r["sd"], parse_int(r["n"]), low, high, rule)
        out.append(Finding(study=ledger.study, area=area_of(r["quantity"]), check="sd_feasible",
                           item=f"{r['variable']} SD within [{low:g}, {high:g}]",
                           verdict=res.verdict, category=res.category,
                           locators=(r["locator"], row["locator"]),
                           printed=f"{r['printed']}; limits {row['printed']}",
                           expected=res.expected, explanation=res.explanation,
                           quantity=r["quantity"]))
    return out


_CUT = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*([0-9]+(?:\.[0-9]+)?)")


def parse_cutoff(level: str) -> tuple[str, float] | None:
    """``"<60"`` -> ("<", 60.0); ``">=200×10^9/L"`` -> (">=", 200.0); None if not a cut-off."""
    m = _CUT.match(str(level))
    if not m:
        return None
    op = {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1))
    return op, float(m.group(2))


def _share(op: str, cut: float, mean: float, sd: float) -> float:
    """P(X op cut) for X ~ Normal(mean, sd)."""
    if sd <= 0:
        above = mean >= cut if op in (">=", ">") else mean < cut
        return 1.0 if above else 0.0
    z = (cut - mean) / sd
    return float(norm.sf(z)) if op in (">", ">=") else float(norm.cdf(z))


def _cantelli(op: str, cut: float, m_iv: Interval, s_iv: Interval) -> float:
    """The largest share beyond the cut-off any distribution with a mean and SD inside the printed
    intervals allows (Cantelli's inequality); 1 when the cut-off is on the near side of the mean."""
    sd = float(s_iv.high)
    if op in (">", ">="):
        t = cut - float(m_iv.high)
    else:
        t = float(m_iv.low) - cut
    if t <= 0:
        return 1.0
    return sd * sd / (sd * sd + t * t)


def cutoff_table(ledger: Ledger) -> pd.DataFrame:
    """Every cut-off level the paper uses (hazard-ratio levels, ``covariates.yaml`` cuts) matched to
    a printed summary of the same variable, with the share beyond the cut-off that the summary
    implies under normality and the printed count of that level when there is one."""
    summaries = ledger.summaries
    names = list(summaries["variable"]) if len(summaries) else []
    levels = []
    hr = ledger.hazard_ratios
    for _, r in hr.iterrows():
        cut = parse_cutoff(r["level"])
        if cut:
            levels.append((r["variable"], r["level"], cut, r.get("level_quantity", ""), r["locator"]))
    for var, spec in (ledger.covariates.get("covariates", {}) or {}).items():
        if isinstance(spec, dict) and "cut" in spec:
            c = float(spec["cut"])
            levels.append((var, str(spec["below"]), ("<", c), "", "covariates.yaml"))
            levels.append((var, str(spec["above"]), (">=", c), "", "covariates.yaml"))
    recs, seen = [], set()
    counts = ledger.counts
    for var, level, (op, cut), lq, loc in levels:
        if (var, level) in seen:
            continue
        seen.add((var, level))
        target = match_name(var, names)
        if target is None:
            cov = (ledger.covariates.get("covariates", {}) or {}).get(var, {})
            target = match_name(str(cov.get("column", "")), names) if cov else None
        if target is None:
            continue
        srow = summaries[summaries["variable"] == target].iloc[0]
        n = parse_int(srow["n"])
        printed_count = None
        qrows = counts[counts["quantity"] == lq] if lq else counts.iloc[0:0]
        if qrows.empty:
            qrows = counts[(counts["variable"] == var) & (counts["level"] == level)]
        if len(qrows) and str(qrows["count"].iloc[0]).strip():
            printed_count = parse_int(qrows["count"].iloc[0])
        rec = {"variable": var, "level": level, "op": op, "cut": cut, "summary": target,
               "statistic": srow["statistic"], "printed_summary": srow["printed"],
               "summary_locator": srow["locator"], "level_locator": loc, "n": n,
               "center": srow["center"], "sd": srow["sd"], "low": srow["low"],
               "high": srow["high"], "implied_share": None, "implied_patients": None,
               "printed_count": printed_count, "quantity": srow["quantity"]}
        if srow["statistic"] == "mean_sd":
            share = _share(op, cut, parse_printed(srow["center"]).value,
                           parse_printed(srow["sd"]).value)
            rec["implied_share"] = 100 * share
            rec["implied_patients"] = share * n
        recs.append(rec)
    return pd.DataFrame(recs)


def cutoff_result(row: pd.Series, rule: str) -> Result:
    """Whether a cut-off level can hold the patients it is said to hold, given the printed summary
    of that variable (see :func:`cutoff_findings`)."""
    op, cut, n = row["op"], float(row["cut"]), int(row["n"])
    where = f"{row['variable']} {row['level']}"
    if row["statistic"] in ("median_range",) and str(row["low"]).strip():
        lo, hi = parse_printed(row["low"]).value, parse_printed(row["high"]).value
        empty = ((op == ">=" and cut > hi) or (op == ">" and cut >= hi)
                 or (op == "<" and cut <= lo) or (op == "<=" and cut < lo))
        if empty:
            return Result("impossible", "statistical", "0 patients",
                          f"the printed range {lo:g}-{hi:g} leaves no patient in {where}.")
    if row["statistic"] != "mean_sd":
        return Result("not testable", "statistical", "",
                      f"the summary ({row['printed_summary']}) does not imply a share in {where}.")
    implied = f"{row['implied_share']:.1f}% (~{row['implied_patients']:.0f} of {n})"
    m_iv, s_iv = interval(row["center"], rule), interval(row["sd"], rule)
    bound = _cantelli(op, cut, m_iv, s_iv)
    head = (f"mean {row['center']}, SD {row['sd']} imply {implied} in {where} under normality; "
            f"no distribution allows more than {100 * bound:.1f}% (Cantelli)")
    if row["printed_count"] is None:
        return Result("not testable", "statistical", implied,
                      head + "; no count of this level is printed to compare.")
    share = row["printed_count"] / n
    if share > bound:
        return Result("impossible", "statistical", implied,
                      head + f"; printed {row['printed_count']} of {n} ({100 * share:.1f}%).")
    return Result("consistent", "statistical", implied,
                  head + f"; printed {row['printed_count']} of {n} ({100 * share:.1f}%).")


def cutoff_share_result(level: str, mean: str, sd: str, n: int, count: int | None = None,
                        rule: str = "half_up") -> Result:
    """:func:`cutoff_share` with its explanation."""
    cut = parse_cutoff(level)
    if cut is None:
        raise ValueError(f"level '{level}' is not a cut-off such as '<60' or '>=10'")
    share = _share(cut[0], cut[1], parse_printed(mean).value, parse_printed(sd).value)
    row = pd.Series({"op": cut[0], "cut": cut[1], "n": n, "variable": "value", "level": level,
                     "statistic": "mean_sd", "printed_summary": f"{mean} ± {sd}", "center": mean,
                     "sd": sd, "low": "", "high": "", "implied_share": 100 * share,
                     "implied_patients": share * n, "printed_count": count})
    return cutoff_result(row, rule)


def cutoff_share(level: str, mean: str, sd: str, n: int, count: int | None = None,
                 rule: str = "half_up") -> str:
    """Whether ``count`` of ``n`` patients can lie in a cut-off level (``">=60"``) of a variable
    with the printed mean and SD: impossible above Cantelli's bound; not testable without a count.
    The share implied under normality is in the explanation."""
    return cutoff_share_result(level, mean, sd, n, count, rule).verdict


def cutoff_findings(ledger: Ledger, rule: str) -> list[Finding]:
    """For every cut-off the paper uses on a variable it also summarises (one finding per variable
    and cut-off, covering the levels on both sides): the share beyond the cut-off the summary implies
    (normal approximation), and whether a printed count of a level is possible at all (Cantelli's
    bound; an empty level outside a printed range)."""
    check_rule(rule)
    out = []
    table = cutoff_table(ledger)
    if table.empty:
        return out
    rank = {"impossible": 0, "inconsistent": 1, "consistent": 2, "not testable": 3}
    for (var, cut), g in table.groupby(["variable", "cut"], sort=False):
        results = [cutoff_result(r, rule) for _, r in g.iterrows()]
        worst = min(results, key=lambda r: rank[r.verdict])
        tested = [r for r in results if r.verdict != "not testable"]
        verdict = worst.verdict if tested else "not testable"
        first = g.iloc[0]
        out.append(Finding(study=ledger.study, area=area_of(first["quantity"]),
                           check="cutoff_share", item=f"{var} cut at {cut:g}", verdict=verdict,
                           category="statistical",
                           locators=tuple(dict.fromkeys([first["summary_locator"],
                                                         *g["level_locator"]])),
                           printed=f"{first['printed_summary']}; levels "
                                   + ", ".join(g["level"]),
                           expected="; ".join(f"{lv}: {r.expected}" for lv, r in
                                              zip(g["level"], results) if r.expected),
                           explanation=" ".join(r.explanation[0].upper() + r.explanation[1:]
                                                for r in results),
                           quantity=first["quantity"]))
    return out
