"""A planted-error benchmark for the registered checks.

Start from a clean ledger built from real data (by default ``ncctg_lung``: the NCCTG lung cohort's
reference results computed with R), plant one error of a kind at a time — several instances per
kind, at different rows and magnitudes — and run every registered ledger check. A plant is
*caught* when some flagged finding (inconsistent, implausible or impossible) names the planted
quantity; a *trap* (a change that is not an error: a p printed as "<0.001" with a CI far from 1, a
median not reached, an exact tie printed with its count, ...) raises a *false alarm* when some
flagged finding names it. The clean ledger itself must give no flagged finding.

``python scripts/validate_checks.py`` (``make validate``) prints recall per kind and false alarms
per trap; ``tests/test_benchmark.py`` holds both on a small sample so that a regression fails CI.

Every plant is a small function of the clean tables; numbers come from the clean ledger, shifted
by amounts that are errors by construction (a percentage moved by several units of its printed
precision, a CI limit moved so that it no longer brackets its own estimate, ...).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..core.evidence import FLAGGED
from ..ledger.load import Ledger, SPECS, ledger_from_tables, load_ledger
from . import registry

Tables = dict[str, list[dict]]


@dataclass(frozen=True)
class Plant:
    """One planted change: the kind, whether it is an error (or a trap), the quantity it touches."""

    kind: str
    error: bool
    quantity: str
    tables: Tables
    meta: dict
    what: str


def clean_tables(ledger: Ledger) -> tuple[dict, Tables]:
    """A ledger's meta and its rows as plain dicts (the input of every plant)."""
    tables = {}
    for name, df in ledger.tables.items():
        if len(df):
            cols = [c for c in df.columns if c != "line"]
            tables[name] = [dict(r) for r in df[cols].astype(str).to_dict(orient="records")]
    meta = {k: v for k, v in ledger.meta.items()}
    return meta, tables


def _rows(t: Tables, name: str, pred: Callable[[dict], bool] = lambda r: True) -> list[dict]:
    return [r for r in t.get(name, []) if pred(r)]


def _fmt(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def _decimals(text: str) -> int:
    text = str(text).lstrip("<>=≤≥ ")
    return len(text.split(".", 1)[1]) if "." in text else 0


def _new_id(t: Tables, base: str) -> str:
    ids = {r["row_id"] for rows in t.values() for r in rows}
    k, rid = 1, base
    while rid in ids:
        k += 1
        rid = f"{base}_{k}"
    return rid


# --------------------------------------------------------------------------- error kinds
# Each returns a list of (quantity, what) after changing ``t`` in place, for instance ``i``.

def plant_percent_off(t, i):
    rows = _rows(t, "counts", lambda r: r["count"] and r["percent"] and r["role"] == "level")
    r = rows[i % len(rows)]
    d = _decimals(r["percent"])
    r["percent"] = _fmt(min(99.0, float(r["percent"]) + (3 + i)), d)
    r["printed"] = f"{r['count']} ({r['percent']}%)"
    return r["quantity"], f"percentage of {r['item'] if 'item' in r else r['level']} moved by {3 + i}"


def plant_grim_percent(t, i):
    small = [7, 9, 11, 13][i % 4]
    x = 100 / small + 0.37          # two decimals, between k/n = 1/n and 2/n: no count gives it
    row = {"row_id": _new_id(t, f"grim_{i}"), "quantity": f"baseline.planted_{i}.yes",
           "source": "results", "locator": f"Results / planted {i}", "variable": f"Planted {i}",
           "level": "Yes", "role": "other", "definition": "", "count": "", "percent": _fmt(x, 2),
           "denominator": str(small), "population": "all", "printed": _fmt(x, 2) + "%", "note": ""}
    t["counts"].append(row)
    return row["quantity"], f"percentage {row['percent']} with n = {small}: no integer count gives it"


def plant_level_sum(t, i):
    rows = _rows(t, "counts", lambda r: r["count"] and r["role"] == "level")
    r = rows[i % len(rows)]
    r["count"] = str(int(r["count"]) + 5 + i)
    r["percent"] = ""
    r["printed"] = r["count"]
    return r["quantity"], "a level's count raised so the levels exceed N"


def plant_appearance(t, i):
    rows = _rows(t, "counts", lambda r: r["percent"] and r["count"])
    r = rows[i % len(rows)]
    dup = dict(r)
    dup["row_id"] = _new_id(t, r["row_id"] + "_abs")
    dup["source"], dup["locator"] = "abstract", "Abstract / Results"
    d = _decimals(r["percent"])
    dup["percent"] = _fmt(float(r["percent"]) + 4 + i, d)
    dup["count"] = ""
    dup["printed"] = dup["percent"] + "%"
    t["counts"].append(dup)
    return r["quantity"], "the same percentage printed again with another value"


def plant_p_vs_ci(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"] and r["p"]
                 and (float(r["ci_low"]) > 1 or float(r["ci_high"]) < 1))
    r = rows[i % len(rows)]
    r["p"] = ["0.412", "0.736", "0.215", "0.950"][i % 4]
    return r["quantity"], "p moved far above alpha while the CI excludes 1"


def plant_ci_asymmetric(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"])
    r = rows[i % len(rows)]
    d = _decimals(r["ci_high"])
    hr, lo = float(r["hr"]), float(r["ci_low"])
    r["ci_high"] = _fmt(hr * (hr / lo) * (2.0 + i), d)
    r["p"] = ""
    return r["quantity"], "upper CI limit moved so the CI is lopsided on the log scale"


def plant_hr_outside_ci(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"])
    r = rows[i % len(rows)]
    d = max(2, _decimals(r["hr"]))
    r["hr"] = _fmt(float(r["ci_high"]) * (1.2 + 0.1 * i), d)
    r["p"] = ""
    return r["quantity"], "HR outside its own CI"


def plant_ci_too_narrow(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"]
                 and r.get("n_level") and r.get("n_reference"))
    r = rows[i % len(rows)]
    hr = float(r["hr"])
    w = [1.01, 1.02, 1.015, 1.03][i % 4]
    d = 3
    r["ci_low"], r["ci_high"], r["p"] = _fmt(hr / w, d), _fmt(hr * w, d), ""
    r["hr"] = _fmt(hr, d)
    return r["quantity"], "CI far narrower than the group sizes allow"


def plant_direction(t, i):
    rows = _rows(t, "statements")
    r = rows[i % len(rows)]
    r["kind"] = "better_prognosis" if r["kind"] == "poorer_prognosis" else "poorer_prognosis"
    return r["quantity"], "statement of direction reversed"


def plant_median_outside_ci(t, i):
    rows = _rows(t, "survival", lambda r: r["statistic"] == "median" and r["ci_low"])
    r = rows[i % len(rows)]
    r["center"] = str(int(float(r["ci_high"]) * (1.1 + 0.05 * i)) + 1)
    return r["quantity"], "median above its CI"


def plant_sd_range(t, i):
    rows = _rows(t, "summaries", lambda r: r["statistic"] == "mean_sd")
    r = rows[i % len(rows)]
    m, s = float(r["center"]), float(r["sd"])
    r["low"], r["high"] = _fmt(m - 0.5 * s, 1), _fmt(m + 0.6 * s, 1)
    r["sd"] = _fmt(s * (1.5 + 0.5 * i), _decimals(r["sd"]))
    return r["quantity"], "SD larger than any data within the printed range allow"


def plant_subtotal(t, i):
    levels = _rows(t, "counts", lambda r: r["role"] == "level" and r["count"]
                   and r["variable"].lower().startswith("ecog"))
    a, b = levels[0], levels[1]
    n = int(a["denominator"])
    wrong = int(a["count"]) + int(b["count"]) + 4 + i
    row = {"row_id": _new_id(t, "subtotal"), "quantity": f"baseline.ecog_performance_status.subtotal_{i}",
           "source": "table", "locator": a["locator"].rsplit(":", 1)[0] + f": {a['level']}-{b['level']}",
           "variable": a["variable"], "level": f"{a['level']}-{b['level']}", "role": "rate",
           "definition": f"{a['level']}+{b['level']}", "count": str(wrong),
           "percent": _fmt(100 * wrong / n, 1), "denominator": str(n), "population": a["population"],
           "printed": f"{wrong}", "note": ""}
    t["counts"].append(row)
    return row["quantity"], "a subtotal that is not the sum of its parts"


def _ae_rows(t, n, event, any_count, g3_count, i):
    out = []
    for band, k in (("any", any_count), (">=3", g3_count)):
        slug = "any" if band == "any" else "ge3"
        out.append({"row_id": _new_id(t, f"ae_{event}_{slug}_{i}"),
                    "quantity": f"ae.{event}.{slug}", "source": "table",
                    "locator": f"Table 4 / {event}: {band}", "event": event, "grade_band": band,
                    "role": "event", "count": str(k), "percent": _fmt(100 * k / n, 1),
                    "denominator": str(n), "printed": f"{k} ({100 * k / n:.1f}%)", "note": ""})
    return out


def plant_ae_band(t, i):
    n = int(t["counts"][0]["denominator"])
    event = ["rash", "nausea", "fatigue", "anaemia"][i % 4]
    rows = _ae_rows(t, n, event, 10 + i, 14 + 2 * i, i)
    t.setdefault("adverse_events", []).extend(rows)
    return rows[1]["quantity"], "grade >=3 count above the any-grade count of the same event"


def plant_hr_twice(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"])
    r = rows[i % len(rows)]
    dup = dict(r)
    dup["row_id"] = _new_id(t, r["row_id"] + "_abs")
    dup["source"], dup["locator"] = "abstract", "Abstract / Results"
    d = max(2, _decimals(r["hr"]))
    dup["hr"] = _fmt(float(r["hr"]) * (1.25 + 0.05 * i), d)
    dup["printed"] = dup["hr"]
    dup["ci_low"] = dup["ci_high"] = dup["p"] = ""
    t["hazard_ratios"].append(dup)
    return r["quantity"], "one HR printed twice with two values"


def plant_landmark(t, i):
    rows = _rows(t, "survival", lambda r: r["statistic"] == "median" and r["population"] == "all")
    r = rows[0]
    m = float(r["center"])
    row = {"row_id": _new_id(t, f"landmark_{i}"), "quantity": f"survival.os.rate_{i}",
           "source": "results", "locator": "Results ¶2", "endpoint": r["endpoint"],
           "statistic": "rate", "center": ["72", "80", "65", "90"][i % 4], "ci_low": "", "ci_high": "",
           "ci_level": "", "unit": "percent", "n": r["n"], "population": "all",
           "landmark": str(int(m * (1.5 + 0.25 * i))), "landmark_unit": r["unit"],
           "printed": "landmark rate", "note": ""}
    t["survival"].append(row)
    return row["quantity"], "a landmark rate above 50% at a time beyond the median"


def plant_limits(t, i):
    rows = _rows(t, "summaries", lambda r: r["variable"].lower() == "age")
    r = rows[0]
    m = float(r["center"])
    t.setdefault("design", []).append(
        {"row_id": _new_id(t, f"inc_age_{i}"), "quantity": "design.age", "source": "methods",
         "locator": "Methods / Inclusion", "kind": "inclusion", "parameter": "age",
         "value": "18", "value_high": str(int(m - 5 - 3 * i)), "comparator": "range",
         "unit": "years", "printed": "aged 18 to upper limit", "note": ""})
    return r["quantity"], "mean age above the upper inclusion limit"


def plant_total_bounds(t, i):
    n = int(t["counts"][0]["denominator"])
    rows = _ae_rows(t, n, f"event{i}a", 40 + i, 5, i)[:1] + _ae_rows(t, n, f"event{i}b", 30, 4, i)[:1]
    total = {"row_id": _new_id(t, f"ae_total_{i}"), "quantity": "ae.any.any", "source": "table",
             "locator": "Table 4 / Any adverse event: any", "event": "Any adverse event",
             "grade_band": "any", "role": "total", "count": str(20 + i),
             "percent": _fmt(100 * (20 + i) / n, 1), "denominator": str(n),
             "printed": "total", "note": ""}
    t.setdefault("adverse_events", []).extend(rows + [total])
    return "ae.any.any", "patients with any event fewer than the largest single event"


ERRORS: dict[str, Callable] = {
    "percent_off": plant_percent_off, "grim_percent": plant_grim_percent,
    "level_sum": plant_level_sum, "appearance": plant_appearance, "p_vs_ci": plant_p_vs_ci,
    "ci_asymmetric": plant_ci_asymmetric, "hr_outside_ci": plant_hr_outside_ci,
    "ci_too_narrow": plant_ci_too_narrow, "direction": plant_direction,
    "median_outside_ci": plant_median_outside_ci, "sd_range": plant_sd_range,
    "subtotal": plant_subtotal, "ae_band": plant_ae_band, "hr_twice": plant_hr_twice,
    "landmark_vs_median": plant_landmark, "outside_limits": plant_limits,
    "total_bounds": plant_total_bounds,
}


# --------------------------------------------------------------------------- traps

def trap_p_bound(t, i):
    rows = _rows(t, "hazard_ratios", lambda r: r["role"] == "estimate" and r["ci_low"]
                 and (float(r["ci_low"]) > 1.2 or float(r["ci_high"]) < 0.8))
    r = rows[i % len(rows)]
    r["p"] = "<0.001"
    hr = float(r["hr"])
    far = 2.5 if hr > 1 else 0.4
    d = max(2, _decimals(r["hr"]))
    se = (math.log(float(r["ci_high"])) - math.log(float(r["ci_low"]))) / (2 * 1.959964)
    r["hr"] = _fmt(far, d)
    r["ci_low"] = _fmt(far * math.exp(-1.959964 * se), d)
    r["ci_high"] = _fmt(far * math.exp(1.959964 * se), d)
    return r["quantity"], "p printed as <0.001 beside a CI far from 1"


def trap_subgroup_pct(t, i):
    rows = _rows(t, "counts", lambda r: r["count"] and r["role"] == "level")
    base = rows[i % len(rows)]
    k = int(base["count"])
    sub = max(1, k // (3 + i))
    row = dict(base)
    row.update(row_id=_new_id(t, f"sub_{i}"), quantity=f"{base['quantity']}.subgroup_{i}",
               level=f"{base['level']} (subgroup)", role="other", count=str(sub),
               percent=_fmt(100 * sub / k, 1), denominator=str(k), population=base["quantity"],
               printed=f"{sub}/{k} ({100 * sub / k:.1f}%)", source="results",
               locator=f"Results ¶{i + 1}")
    t["counts"].append(row)
    return row["quantity"], "a subgroup percentage on its own denominator"


def trap_median_nr(t, i):
    rows = _rows(t, "survival", lambda r: r["statistic"] == "median")
    r = dict(rows[0])
    r.update(row_id=_new_id(t, f"nr_{i}"), quantity=f"survival.os.median_nr_{i}", center="NR",
             ci_low=r["center"], ci_high="NR", population=rows[0]["population"],
             printed="not reached", source="results", locator=f"Results ¶{i + 3}")
    t["survival"].append(r)
    return r["quantity"], "a median not reached"


def trap_tie(t, i):
    # k/n exactly x.x5 printed with its count: half-up gives one value, half-even another
    pairs = [(1, 8, "12.5", 1), (3, 8, "37.5", 1), (1, 40, "2.5", 1), (5, 8, "62.5", 1)]
    k, n, pct, _ = pairs[i % len(pairs)]
    row = {"row_id": _new_id(t, f"tie_{i}"), "quantity": f"baseline.tie_{i}.yes",
           "source": "results", "locator": f"Results / tie {i}", "variable": f"Tie {i}",
           "level": "Yes", "role": "other", "definition": "", "count": str(k), "percent": pct,
           "denominator": str(n), "population": "all", "printed": f"{k}/{n} ({pct}%)", "note": ""}
    t["counts"].append(row)
    return row["quantity"], "an exact tie printed at full precision with its count"


def trap_units(t, i):
    rows = _rows(t, "survival", lambda r: r["statistic"] == "median" and r["unit"] == "days"
                 and not r["ci_low"])
    if not rows:
        rows = _rows(t, "survival", lambda r: r["statistic"] == "median" and r["unit"] == "days")
    r = rows[0]
    dup = dict(r)
    months = float(r["center"]) / (365.25 / 12)
    dup.update(row_id=_new_id(t, r["row_id"] + f"_months_{i}"), center=_fmt(months, 1),
               ci_low="", ci_high="", ci_level="", unit="months",
               printed=f"{months:.1f} months", source="discussion", locator=f"Discussion ¶{i + 1}")
    t["survival"].append(dup)
    return r["quantity"], "the same median printed in days and in months"


def trap_nested_bands(t, i):
    n = int(t["counts"][0]["denominator"])
    rows = _ae_rows(t, n, f"cough{i}", 30 + i, 5, i) + _ae_rows(t, n, f"pain{i}", 20, 3, i)
    total = {"row_id": _new_id(t, f"ae_total_nested_{i}"), "quantity": f"ae.any_{i}.any",
             "source": "table", "locator": "Table 4 / Any adverse event: any",
             "event": "Any adverse event", "grade_band": "any", "role": "total",
             "count": str(45 + i), "percent": _fmt(100 * (45 + i) / n, 1), "denominator": str(n),
             "printed": "total", "note": ""}
    t.setdefault("adverse_events", []).extend(rows + [total])
    return total["quantity"], "nested any-grade and grade >=3 bands with a true any-grade total"


TRAPS: dict[str, Callable] = {
    "p_bound_far_from_1": trap_p_bound, "subgroup_own_denominator": trap_subgroup_pct,
    "median_not_reached": trap_median_nr, "tie_with_count": trap_tie,
    "units_days_months": trap_units, "nested_ae_bands": trap_nested_bands,
}

LEDGER_FAMILIES = ("arithmetic", "appearances", "means", "sampling", "design", "hazard", "survival")


def plants(base: str = "ncctg_lung", instances: int = 3) -> list[Plant]:
    """Every error kind and trap, ``instances`` times each, applied to the clean ledger."""
    meta, tables = clean_tables(load_ledger(base))
    out = []
    for kinds, error in ((ERRORS, True), (TRAPS, False)):
        for kind, fn in kinds.items():
            for i in range(instances):
                t = copy.deepcopy(tables)
                quantity, what = fn(t, i)
                out.append(Plant(kind, error, quantity, t, dict(meta), what))
    return out


def flagged_quantities(meta: dict, tables: Tables) -> tuple[set[str], pd.DataFrame]:
    """Run every registered ledger check; the quantities of flagged findings, and the run table."""
    known = {k: v for k, v in tables.items() if k in SPECS}
    ledger = ledger_from_tables(str(meta.get("study", "benchmark")), meta, known)
    ctx = registry.Context(ledger)
    runs = registry.run_family(LEDGER_FAMILIES, ctx)
    findings = registry.findings_of(runs)
    qs = set()
    for f in findings:
        if f.verdict in FLAGGED:
            qs |= {q.strip() for q in str(f.quantity).split(";")}
    return qs, registry.runs_frame(runs)


def evaluate(base: str = "ncctg_lung", instances: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, set]:
    """Run the benchmark: (per-plant results, per-kind summary, flags on the clean ledger)."""
    meta, tables = clean_tables(load_ledger(base))
    clean_flags, _ = flagged_quantities(meta, tables)
    rows = []
    for p in plants(base, instances):
        try:
            flags, runs = flagged_quantities(p.meta, p.tables)
            failed = runs[runs["status"] == "failed"]
            error = "; ".join(f"{r.check}: {r.reason}" for r in failed.itertuples())
        except Exception as exc:  # noqa: BLE001 -- a crash on a valid ledger is a result
            flags, error = set(), f"{type(exc).__name__}: {exc}"
        # a finding about the planted quantity, about one of its parts, or about the variable it
        # is a level of (a level sum is reported on the variable's key)
        hit = any(q == p.quantity or q.startswith(p.quantity + ".") or p.quantity.startswith(q + ".")
                  for q in flags - clean_flags if q.count(".") >= 1) or p.quantity in flags
        rows.append({"kind": p.kind, "error": p.error, "quantity": p.quantity, "what": p.what,
                     "flagged": hit, "check_errors": error})
    df = pd.DataFrame(rows)
    summary = (df.groupby(["error", "kind"], sort=False)
                 .agg(instances=("flagged", "size"), flagged=("flagged", "sum"))
                 .reset_index())
    summary["recall"] = [f / n if e else float("nan") for e, f, n in
                         zip(summary["error"], summary["flagged"], summary["instances"])]
    summary["false_alarms"] = [0 if e else int(f) for e, f in zip(summary["error"], summary["flagged"])]
    return df, summary, clean_flags
