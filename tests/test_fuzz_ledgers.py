"""A ledger fuzzer: random valid ledgers of every kind, including extreme but valid values (0% and
100%, percentages far from their counts, CIs touching 0 or very wide on the log scale, n = 1,
medians not reached, a single row per file), through every registered ledger check: no exception,
every verdict one of the five.

Run more examples with ``HYPOTHESIS_PROFILE=fuzz`` (1,000 ledgers)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.checks import registry
from helpers.checks.benchmark import LEDGER_FAMILIES
from helpers.core.evidence import VERDICTS
from helpers.ledger.load import ledger_from_tables

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
NR = os.environ.get("FUZZ_NR", "1") == "1"   # medians "not reached"

LOCATORS = ["Table 1 / a", "Table 2 / b", "Abstract / Results", "Results 3.1 ¶1", "Discussion ¶2"]
SOURCES = {"Table 1 / a": "table", "Table 2 / b": "table", "Abstract / Results": "abstract",
           "Results 3.1 ¶1": "results", "Discussion ¶2": "discussion"}


def _num(x: float, d: int) -> str:
    return f"{x:.{d}f}"


@st.composite
def counts_rows(draw, n):
    rows = []
    k_levels = draw(st.integers(1, 4))
    prefix = draw(st.sampled_from(["baseline.", "response.", "treatment."]))
    loc = draw(st.sampled_from(LOCATORS))
    for j in range(k_levels):
        k = draw(st.integers(0, n))
        d = draw(st.integers(0, 2))
        far = draw(st.booleans())
        pct = min(100.0, max(0.0, 100 * k / n + (draw(st.floats(-30, 30)) if far else 0)))
        show_count = draw(st.booleans())
        rows.append({"quantity": f"{prefix}v.l{j}", "source": SOURCES[loc], "locator": loc,
                     "variable": "V", "level": f"L{j}", "role": "level",
                     "count": str(k) if show_count else "",
                     "percent": _num(pct, d) if (not show_count or draw(st.booleans())) else "",
                     "denominator": str(n), "population": "all"})
    if draw(st.booleans()) and k_levels >= 2:
        k = draw(st.integers(0, n))
        rows.append({"quantity": f"{prefix}v.rate", "source": "results", "locator": "Results 3.1 ¶1",
                     "variable": "V", "level": "R", "role": "rate", "definition": "L0+L1",
                     "count": str(k), "percent": _num(100 * k / n, 1), "denominator": str(n),
                     "population": "all"})
    return rows


@st.composite
def summaries_rows(draw, n):
    m = draw(st.floats(0, 500))
    sd = draw(st.floats(0, 200))
    stat = draw(st.sampled_from(["mean_sd", "median_range", "mean", "median"]))
    row = {"quantity": "baseline.x", "variable": "X", "statistic": stat, "center": _num(m, 1),
           "n": str(n), "population": "all", "granularity": draw(st.sampled_from(["", "1", "0.1"]))}
    if stat == "mean_sd":
        row["sd"] = _num(sd, 1)
    if stat == "median_range":
        lo = draw(st.floats(0, m)) if m > 0 else 0.0
        row.update(low=_num(lo, 1), high=_num(m + draw(st.floats(0, 100)), 1))
    return [row]


@st.composite
def hr_rows(draw, n):
    rows = []
    for j in range(draw(st.integers(1, 3))):
        d = draw(st.integers(1, 3))
        hr = draw(st.floats(2 * 10 ** -d, 50))
        lo_f = draw(st.floats(1.0, 100.0))
        hi_f = draw(st.floats(1.0, 100.0))
        lo, hi = max(10 ** -d, hr / lo_f), hr * hi_f
        p = draw(st.sampled_from(["<0.001", "0.05", "0.500", "1.000", "0.000", ""]))
        nl = draw(st.integers(1, n)) if n > 1 and draw(st.booleans()) else None
        rows.append({"quantity": f"cox.univariable.v{j}.a", "model": draw(st.sampled_from(["univariable", "multivariable"])),
                     "endpoint": draw(st.sampled_from(["PFS", "OS"])), "variable": f"V{j}", "level": "A",
                     "reference": "B", "role": "estimate", "hr": _num(hr, d),
                     "ci_low": _num(lo, d) if float(_num(lo, d)) > 0 else _num(10 ** -d, d),
                     "ci_high": _num(max(hi, lo), d), "ci_level": "95", "p": p,
                     "n_level": str(nl) if nl else "", "n_reference": str(n - nl) if nl and n - nl > 0 else ""})
    for r in rows:
        if float(r["ci_low"]) > float(r["ci_high"]):
            r["ci_low"], r["ci_high"] = r["ci_high"], r["ci_low"]
    return rows


@st.composite
def survival_rows(draw, n):
    rows = []
    for j in range(draw(st.integers(1, 3))):
        nr = NR and draw(st.booleans()) and draw(st.booleans())
        m = draw(st.floats(0.1, 200))
        lo = draw(st.floats(0, m))
        hi = m + draw(st.floats(0, 200))
        rows.append({"quantity": f"survival.os.median{j}", "endpoint": "OS", "statistic": "median",
                     "center": "NR" if nr else _num(m, 1),
                     "ci_low": _num(lo, 1) if draw(st.booleans()) else "",
                     "ci_high": ("NR" if nr else _num(hi, 1)) if draw(st.booleans()) else "",
                     "ci_level": "95", "unit": draw(st.sampled_from(["months", "days", "weeks"])),
                     "n": str(n), "population": "all",
                     "source": draw(st.sampled_from(["abstract", "results"])),
                     "locator": draw(st.sampled_from(["Abstract / Results", "Results 3.2 ¶1"]))})
    return rows


@st.composite
def ae_rows(draw, n):
    rows = []
    for j in range(draw(st.integers(1, 3))):
        for band in draw(st.sampled_from([["any"], [">=3"], ["<3", ">=3"], ["any", ">=3"]])):
            k = draw(st.integers(0, n))
            rows.append({"quantity": f"ae.e{j}.{band}", "event": f"E{j}", "grade_band": band,
                         "role": "event", "count": str(k), "percent": _num(100 * k / n, 2),
                         "denominator": str(n)})
    if draw(st.booleans()):
        k = draw(st.integers(0, n))
        rows.append({"quantity": "ae.any.any", "event": "ANY", "grade_band": "any", "role": "total",
                     "count": str(k), "percent": "", "denominator": str(n)})
    return rows


@st.composite
def design_rows(draw, n):
    rows = [{"quantity": "cohort.n", "kind": "cohort", "parameter": "n", "value": str(n),
             "comparator": "=", "source": "methods", "locator": "Methods 2.1 ¶1"}]
    if draw(st.booleans()):
        a, b = sorted([draw(st.integers(2000, 2024)), draw(st.integers(2000, 2024))])
        rows.append({"quantity": "design.accrual", "kind": "dates", "parameter": "accrual",
                     "value": f"{a}-0{draw(st.integers(1, 9))}", "value_high": f"{b}-1{draw(st.integers(0, 2))}",
                     "comparator": "range", "source": "methods", "locator": "Methods 2.1 ¶1"})
    if draw(st.booleans()):
        rows.append({"quantity": "design.age", "kind": "inclusion", "parameter": "age", "value": "18",
                     "value_high": str(draw(st.integers(18, 90))), "comparator": "range", "unit": "years",
                     "source": "methods", "locator": "Methods 2.2 ¶1"})
    if draw(st.booleans()):
        rows.append({"quantity": "design.min_tumour_assessments", "kind": "inclusion",
                     "parameter": "min_tumour_assessments", "value": str(draw(st.integers(1, 5))),
                     "comparator": ">=", "source": "methods", "locator": "Methods 2.2 ¶2"})
        rows.append({"quantity": "design.imaging_interval", "kind": "assessment",
                     "parameter": "imaging_interval", "value": str(draw(st.integers(2, 12))),
                     "comparator": "=", "unit": "weeks", "source": "methods", "locator": "Methods 2.2 ¶3"})
    return rows


@st.composite
def ledgers(draw):
    n = draw(st.sampled_from([1, 2, 10, 57, 460, 2000]))
    kinds = draw(st.sets(st.sampled_from(["counts", "summaries", "hazard_ratios", "survival",
                                          "adverse_events", "design"]), min_size=1))
    builders = {"counts": counts_rows, "summaries": summaries_rows, "hazard_ratios": hr_rows,
                "survival": survival_rows, "adverse_events": ae_rows, "design": design_rows}
    tables = {k: draw(builders[k](n)) for k in kinds}
    if draw(st.booleans()):   # a single row per file
        tables = {k: v[:1] for k, v in tables.items()}
    meta = {"n": n}
    if draw(st.booleans()):
        meta["alpha"] = draw(st.sampled_from([0.05, 0.01]))
    return ledger_from_tables("fuzz", meta, tables)


@settings(settings.get_profile(PROFILE))
@given(ledgers())
def test_every_registered_check_survives_any_valid_ledger(ledger):
    ctx = registry.Context(ledger)
    for check in registry.checks(LEDGER_FAMILIES):
        run = registry.run_check(check, ctx, isolate=False)
        assert run.status in ("ran", "not applicable")
        for f in run.findings:
            assert f.verdict in VERDICTS
