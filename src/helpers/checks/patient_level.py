"""Patient-level tables (aggregates only) and their comparison with the numbers a paper prints.

Tables, from a patient frame in the schema of ``data/ipd/README.md``:

* :func:`patient_baseline_table` -- the baseline table computed with ``tableone`` (Pollard et al.
  2018, JAMIA Open 1:26-31), one row per ledger baseline row, set beside the printed text;
* :func:`response_rates` -- best response counts, ORR (CR+PR) and DCR (CR+PR+SD) with exact
  Clopper-Pearson CIs (Clopper & Pearson 1934; statsmodels ``proportion_confint(method="beta")``);
* :func:`adverse_event_rates` -- per ``ae_`` column, patients with a worst grade in the bands
  1-2 (``<3``), 3-5 (``>=3``) and 1-5 (``any``), with Clopper-Pearson CIs.

Every table holds counts, percentages and summary statistics only -- never a patient row or id.

Checks (:func:`patient_level_findings` and one function per area) recompute each printed number
that the patient data can give and compare at the printed precision: the printed text stands for
the interval of values that round to it (half a unit of the last digit either side; a bound such as
``<0.001`` for the values below it). The unit check is :func:`ipd_matches` (printed text,
recomputed value, rounding rule -> verdict), mapped over a table by :func:`ipd_matches_map`.
Verdicts: ``consistent`` when every printed field agrees; ``inconsistent`` when one does not
(category ``rounding`` if each disagreement is within one unit of the last printed digit, else
``contradiction``); ``not testable`` when the patient data lack what is needed (no such column,
endpoint, level or subgroup).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..core.units import DAYS_PER_UNIT
from ..core.findings import Finding, findings_frame
from ..cohort.ipd import AE_PREFIX, RESPONSES
from ..core.printed import PrintedNumber, parse_printed
from ..core.text import slug
from ..cohort.survival import (MISSING_LEVELS, covariate_kind, covariate_specs, cox_multivariable,
                       cox_univariable, endpoint_columns, has_endpoint, km_fit, level_series)

RATE_COLUMNS = ["group", "level", "role", "definition", "count", "denominator", "percent",
                "ci_low", "ci_high"]
AE_COLUMNS = ["event", "column", "grade_band", "role", "count", "denominator", "percent", "ci_low",
              "ci_high"]
RATES = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}
GRADE_BANDS = {"<3": (1, 2), ">=3": (3, 5), "any": (1, 5), "1-2": (1, 2), "3-4": (3, 4),
               "5": (5, 5), "3": (3, 3), "4": (4, 4)}
_RESERVED = {"id", "os_time", "os_event", "pfs_time", "pfs_event", "best_response"}
_CONF_TYPE = re.compile(r"conf\.type\s*=\s*(log-log|log|plain)")
_COLLECT: ContextVar[list | None] = ContextVar("patient_level_collect", default=None)


# ------------------------------------------------------------------------------------------------
# rates with exact CIs
# ------------------------------------------------------------------------------------------------

def proportion_ci(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Clopper-Pearson (exact) CI of a proportion, in percent (statsmodels, method="beta")."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return (np.nan, np.nan)
    low, high = proportion_confint(int(count), int(n), alpha=alpha, method="beta")
    return (100 * float(low), 100 * float(high))


def _rate_row(group, level, role, definition, count, n, alpha):
    low, high = proportion_ci(count, n, alpha)
    return {"group": group, "level": level, "role": role, "definition": definition,
            "count": int(count), "denominator": int(n),
            "percent": 100 * count / n if n else np.nan, "ci_low": low, "ci_high": high}


def response_rates(ipd: pd.DataFrame, alpha: float = 0.05, by: str | None = None) -> pd.DataFrame:
    """Best-response counts and ORR/DCR with Clopper-Pearson CIs; the denominator is every patient
    of the group (an empty response counts as not evaluated). ``by``: a column for subgroups
    (e.g. ``"line"``). Empty table when the data have no ``best_response``."""
    if "best_response" not in ipd.columns:
        return pd.DataFrame(columns=RATE_COLUMNS)
    groups = [("all", ipd)]
    if by is not None and by in ipd.columns:
        groups += [(f"{by}={g}", sub) for g, sub in ipd.groupby(ipd[by].astype(str), sort=True)
                   if str(g).strip() not in ("", "nan")]
    rows = []
    for name, sub in groups:
        resp = sub["best_response"].astype(str).str.strip()
        n = len(sub)
        for level in RESPONSES:
            rows.append(_rate_row(name, level, "level", "", int((resp == level).sum()), n, alpha))
        rows.append(_rate_row(name, "not evaluated", "level", "", int((resp == "").sum()), n, alpha))
        for rate, parts in RATES.items():
            rows.append(_rate_row(name, rate, "rate", "+".join(parts), int(resp.isin(parts).sum()),
                                  n, alpha))
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def ae_columns(ipd: pd.DataFrame) -> list[str]:
    return [c for c in ipd.columns if c.startswith(AE_PREFIX)]


def _band_mask(grades: pd.DataFrame | pd.Series, band: str) -> pd.Series:
    low, high = GRADE_BANDS[band]
    inside = (grades >= low) & (grades <= high)
    return inside if isinstance(inside, pd.Series) else inside.any(axis=1)


def _worst_grade(ipd: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return ipd[list(columns)].apply(pd.to_numeric, errors="coerce").max(axis=1)


def adverse_event_rates(ipd: pd.DataFrame, alpha: float = 0.05,
                        bands: Sequence[str] = ("<3", ">=3", "any")) -> pd.DataFrame:
    """Patients per adverse event and grade band (worst grade), with Clopper-Pearson CIs, plus
    ``ANY`` rows (worst grade over all events). Empty table when the data have no ``ae_`` column."""
    cols = ae_columns(ipd)
    if not cols:
        return pd.DataFrame(columns=AE_COLUMNS)
    n = len(ipd)
    rows = []
    for col in cols:
        grade = pd.to_numeric(ipd[col], errors="coerce")
        for band in bands:
            r = _rate_row("", "", "event", "", int(_band_mask(grade, band).sum()), n, alpha)
            rows.append({**r, "event": col[len(AE_PREFIX):], "column": col, "grade_band": band})
    worst = _worst_grade(ipd, cols)
    for band in bands:
        r = _rate_row("", "", "total", "", int(_band_mask(worst, band).sum()), n, alpha)
        rows.append({**r, "event": "ANY", "column": "", "grade_band": band, "role": "total"})
    return pd.DataFrame(rows).reindex(columns=AE_COLUMNS)


# ------------------------------------------------------------------------------------------------
# mapping ledger variables onto patient columns
# ------------------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def resolve_variable(variable: str, covariates: dict | None, ipd: pd.DataFrame) -> dict | None:
    """How a ledger variable maps to the patient data: the ``baseline`` or ``covariates`` entry of
    covariates.yaml, else a column of the same name (ignoring case and punctuation); ``None``
    when nothing maps."""
    spec = covariates or {}
    for section in ((spec.get("baseline") or {}), covariate_specs(spec)):
        item = section.get(variable)
        if isinstance(item, dict) and item.get("column") and str(item["column"]) in ipd.columns:
            return item
    target = _norm(variable)
    for col in ipd.columns:
        if _norm(col) == target and col != "id":
            return {"column": col}
    return None


class _Population:
    """The patients a ledger row refers to (``population`` = ``all`` or a counts quantity key)."""

    def __init__(self, ledger, ipd: pd.DataFrame, covariates: dict | None):
        self.ledger, self.ipd, self.covariates = ledger, ipd, covariates or {}

    def mask(self, population: str) -> tuple[pd.Series | None, str]:
        if population in ("", "all"):
            return pd.Series(True, index=self.ipd.index), "all patients"
        counts = self.ledger.counts
        rows = counts[counts["quantity"] == population] if not counts.empty else counts
        if rows.empty:
            return None, f"subgroup '{population}' is not a counts quantity of the ledger"
        variable, level = rows.iloc[0]["variable"], rows.iloc[0]["level"]
        item = resolve_variable(variable, self.covariates, self.ipd)
        if item is None:
            return None, f"the patient data have no column for '{variable}' (subgroup {population})"
        levels = counts[counts["variable"] == variable]["level"].unique().tolist()
        lv = level_series(self.ipd, item, variable, levels=levels)
        mask = lv == level
        if not mask.any():
            return None, f"no patient has '{variable}' = '{level}' (subgroup {population})"
        return mask, f"{variable} = {level}"


# ------------------------------------------------------------------------------------------------
# the unit check: printed text against a recomputed value
# ------------------------------------------------------------------------------------------------

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "truncate": ROUND_DOWN}


def _format(value: float, decimals: int, mode: str = "half_up") -> str:
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=_MODES[mode]))


def _agreement(printed: PrintedNumber, value: float, rounding: str) -> str:
    """``match`` / ``slip`` (off by at most one unit of the last digit, or right under another
    rounding rule) / ``mismatch``."""
    if value is None or not np.isfinite(value):
        return "mismatch"
    if printed.bound:
        ok = {"<": value < printed.value, "<=": value <= printed.value,
              ">": value > printed.value, ">=": value >= printed.value}[printed.bound]
        return "match" if ok else "mismatch"
    target = Decimal(str(printed.value)).quantize(Decimal(1).scaleb(-printed.decimals))
    shown = {m: Decimal(_format(value, printed.decimals, m)) for m in _MODES}
    rules = ("half_up", "half_even") if rounding == "auto" else (rounding,)
    if any(shown[m] == target for m in rules):
        return "match"
    if any(shown[m] == target for m in _MODES) or abs(value - printed.value) <= printed.unit * (1 + 1e-9):
        return "slip" if printed.decimals > 0 else "mismatch"
    return "mismatch"


def ipd_matches(printed: str, recomputed: float | None, rounding: str = "auto") -> str:
    """Verdict for one printed number against the value recomputed from patient data.

    ``consistent`` if the value prints as ``printed`` under ``rounding`` ("auto" = to nearest,
    either tie rule; "half_up", "half_even", "truncate"); ``inconsistent`` if not; ``not testable``
    when nothing was recomputed (None or nan) or nothing is printed.
    """
    if printed is None or str(printed).strip() == "" or recomputed is None:
        return "not testable"
    try:
        value = float(recomputed)
    except (TypeError, ValueError):
        return "not testable"
    if np.isnan(value):
        return "not testable"
    return "consistent" if _agreement(parse_printed(printed), value, rounding) == "match" else "inconsistent"


def ipd_matches_map(df: pd.DataFrame, printed: str = "printed", recomputed: str = "recomputed",
                    rounding: str = "auto") -> pd.DataFrame:
    """:func:`ipd_matches` over a table: returns a copy with a ``verdict`` column."""
    out = df.copy()
    out["verdict"] = [ipd_matches(p, r, rounding) for p, r in zip(df[printed], df[recomputed])]
    return out


def _show(value, printed_text: str) -> str:
    """A recomputed value shown at the precision of the printed text (a bound that holds is shown
    as printed, e.g. ``<0.001``)."""
    if value is None or not np.isfinite(value):
        return "NA"
    p = parse_printed(printed_text)
    if p.bound:
        return p.text if _agreement(p, value, "auto") == "match" else _format(value, max(p.decimals, 3))
    return _format(value, p.decimals)


class _Fields:
    """Printed fields of one ledger row with the recomputed values, and their joint verdict."""

    def __init__(self, rounding: str):
        self.rounding = rounding
        self.items: list[tuple[str, str, float | None, bool]] = []

    def add(self, name: str, printed: str, value, integer: bool = False):
        if printed is not None and str(printed).strip() != "":
            self.items.append((name, str(printed).strip(), value, integer))

    def rows(self) -> list[dict]:
        """One row per printed field: printed value, recomputed value, agreement and the difference
        in units of the last printed digit."""
        out = []
        for name, text, value, integer in self.items:
            p = parse_printed(text)
            finite = value is not None and np.isfinite(value)
            if integer:
                state = "match" if finite and int(round(value)) == int(p.value) else "mismatch"
            else:
                state = _agreement(p, value, self.rounding)
            units = (float(value) - p.value) / p.unit if finite and not p.bound else np.nan
            out.append({"field": name, "printed": text, "printed_value": p.value,
                        "recomputed": float(value) if finite else np.nan, "agreement": state,
                        "difference_units": units})
        return out

    def verdict(self) -> tuple[str, str, str, str]:
        """(verdict, category, expected text, what disagrees)."""
        if not self.items:
            return "not testable", "contradiction", "", "nothing printed to compare"
        states, shown, bad = [], [], []
        for name, text, value, integer in self.items:
            if integer:
                ok = value is not None and np.isfinite(value) and int(round(value)) == int(parse_printed(text).value)
                state = "match" if ok else "mismatch"
                show = "NA" if value is None or not np.isfinite(value) else str(int(round(value)))
            else:
                state = _agreement(parse_printed(text), value, self.rounding)
                show = _show(value, text)
            states.append(state)
            shown.append(f"{name} {show}")
            if state != "match":
                bad.append(f"{name} printed {text}, data give {show}")
        expected = "; ".join(shown)
        if all(s == "match" for s in states):
            return "consistent", "contradiction", expected, ""
        category = "rounding" if all(s in ("match", "slip") for s in states) else "contradiction"
        return "inconsistent", category, expected, "; ".join(bad)


def _finding(ledger, area, check, item, verdict, category, row, expected, explanation) -> Finding:
    return Finding(study=ledger.study, area=area, check=check, item=item, verdict=verdict,
                   category=category, locators=(row["locator"],), printed=row["printed"],
                   expected=expected, explanation=explanation, quantity=row["quantity"])


def _untestable(ledger, area, check, item, row, why) -> Finding:
    return _finding(ledger, area, check, item, "not testable", "contradiction", row, "",
                    f"Not testable from the patient data: {why}.")


def _judged(ledger, area, check, item, row, fields: _Fields, what: str) -> Finding:
    verdict, category, expected, bad = fields.verdict()
    sink = _COLLECT.get()
    if sink is not None:
        sink.extend({"area": area, "check": check, "item": item, "locator": row["locator"],
                     "row_id": row["row_id"], "verdict": verdict, **r} for r in fields.rows())
    if verdict == "consistent":
        why = f"{what}: every printed number agrees with the patient data at the printed precision."
    elif verdict == "not testable":
        why = f"{what}: {bad}."
    else:
        kind = ("within one unit of the last printed digit (a rounding slip)"
                if category == "rounding" else "beyond rounding")
        why = f"{what}: {bad} -- {kind}."
    return _finding(ledger, area, check, item, verdict, category, row, expected, why)


def _n(df: pd.DataFrame) -> int:
    return int(len(df))


# ------------------------------------------------------------------------------------------------
# per-area checks
# ------------------------------------------------------------------------------------------------

def cohort_size_matches_ipd(ledger, ipd: pd.DataFrame, rounding: str = "auto", **_) -> list[Finding]:
    """design.csv cohort rows (``parameter`` n) against the number of patients in the data."""
    out = []
    design = ledger.design
    if design.empty:
        return out
    for _, row in design[(design["kind"] == "cohort") & (design["parameter"] == "n")].iterrows():
        f = _Fields(rounding)
        f.add("n", row["value"], _n(ipd), integer=True)
        out.append(_judged(ledger, "design", "cohort_size_matches_ipd", "Cohort size", row, f,
                           "Patients in the data"))
    return out


def baseline_matches_ipd(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
                         rounding: str = "auto", **_) -> list[Finding]:
    """Baseline counts/percentages and summaries (quantity ``baseline.``) against the data."""
    covariates = covariates if covariates is not None else ledger.covariates
    pop = _Population(ledger, ipd, covariates)
    out: list[Finding] = []
    check = "baseline_matches_ipd"
    counts = ledger.counts
    if not counts.empty:
        rows = counts[counts["quantity"].str.startswith("baseline.")]
        for _, row in rows.iterrows():
            item_name = f"{row['variable']}: {row['level']}"
            if row["role"] != "level":
                out.append(_untestable(ledger, "baseline", check, item_name, row,
                                       f"a '{row['role']}' row has no patient-level definition"))
                continue
            item = resolve_variable(row["variable"], covariates, ipd)
            mask, why = pop.mask(row["population"])
            if item is None or mask is None:
                out.append(_untestable(ledger, "baseline", check, item_name, row,
                                       why if mask is None else f"no column for '{row['variable']}'"))
                continue
            levels = rows[rows["variable"] == row["variable"]]["level"].unique().tolist()
            lv = level_series(ipd, item, row["variable"], levels=levels)[mask]
            if not lv.isin(levels).any():
                seen = ", ".join(map(str, _sorted_levels(lv)[:8])) or "none"
                out.append(_untestable(ledger, "baseline", check, item_name, row,
                                       f"none of the printed levels of '{row['variable']}' occurs in "
                                       f"column '{item['column']}' (its values: {seen}); map them with "
                                       f"`values` in covariates.yaml"))
                continue
            count = int((lv == row["level"]).sum())
            n = int(mask.sum())
            f = _Fields(rounding)
            f.add("count", row["count"], count, integer=True)
            f.add("%", row["percent"], 100 * count / n if n else np.nan)
            out.append(_judged(ledger, "baseline", check, item_name, row, f,
                               f"{count} of {n} patients ({why})"))
    summaries = ledger.summaries
    if not summaries.empty:
        for _, row in summaries.iterrows():
            item_name = f"{row['variable']} ({row['statistic']})"
            item = resolve_variable(row["variable"], covariates, ipd)
            mask, why = pop.mask(row["population"])
            if item is None or mask is None:
                out.append(_untestable(ledger, "baseline", check, item_name, row,
                                       why if mask is None else f"no column for '{row['variable']}'"))
                continue
            x = pd.to_numeric(ipd.loc[mask, str(item["column"])], errors="coerce").dropna()
            f = _Fields(rounding)
            f.add("n", row["n"], len(x), integer=True)
            stat = row["statistic"]
            if stat in ("mean_sd", "mean"):
                f.add("mean", row["center"], x.mean())
                f.add("SD", row["sd"], x.std(ddof=1))
            else:
                f.add("median", row["center"], x.median())
                if stat == "median_range":
                    f.add("min", row["low"], x.min())
                    f.add("max", row["high"], x.max())
                elif stat == "median_iqr":
                    f.add("Q1", row["low"], x.quantile(0.25))
                    f.add("Q3", row["high"], x.quantile(0.75))
            out.append(_judged(ledger, "baseline", check, item_name, row, f,
                               f"{len(x)} patients with a value ({why})"))
    return out


def response_matches_ipd(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
                         rounding: str = "auto", **_) -> list[Finding]:
    """Response counts and rates (quantity ``response.``) against ``best_response``."""
    covariates = covariates if covariates is not None else ledger.covariates
    counts = ledger.counts
    out: list[Finding] = []
    if counts.empty:
        return out
    pop = _Population(ledger, ipd, covariates)
    check = "response_matches_ipd"
    for _, row in counts[counts["quantity"].str.startswith("response.")].iterrows():
        item_name = f"{row['level']} ({row['population']})" if row["population"] != "all" else row["level"]
        if "best_response" not in ipd.columns:
            out.append(_untestable(ledger, "efficacy", check, item_name, row,
                                   "the data have no best_response column"))
            continue
        if row["role"] == "level" and row["level"] in RESPONSES:
            parts = (row["level"],)
        elif row["role"] == "rate" and row["definition"]:
            parts = tuple(p.strip() for p in row["definition"].split("+"))
            if not set(parts) <= set(RESPONSES):
                out.append(_untestable(ledger, "efficacy", check, item_name, row,
                                       f"definition '{row['definition']}' is not made of {', '.join(RESPONSES)}"))
                continue
        else:
            out.append(_untestable(ledger, "efficacy", check, item_name, row,
                                   f"'{row['level']}' is not a best-response category"))
            continue
        mask, why = pop.mask(row["population"])
        if mask is None:
            out.append(_untestable(ledger, "efficacy", check, item_name, row, why))
            continue
        resp = ipd.loc[mask, "best_response"].astype(str).str.strip()
        count, n = int(resp.isin(parts).sum()), int(mask.sum())
        f = _Fields(rounding)
        f.add("count", row["count"], count, integer=True)
        f.add("%", row["percent"], 100 * count / n if n else np.nan)
        out.append(_judged(ledger, "efficacy", check, item_name, row, f,
                           f"{'+'.join(parts)}: {count} of {n} patients ({why})"))
    return out


def _row_ci_method(row, default: str) -> str:
    m = _CONF_TYPE.search(str(row.get("note", "")))
    return m.group(1) if m else default


def survival_matches_ipd(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
                         rounding: str = "auto", ci_method: str | None = None, **_) -> list[Finding]:
    """Kaplan-Meier medians and CIs (survival.csv) against the data (:func:`helpers.cohort.survival.km_fit`).

    The CI type of a row is ``conf.type=...`` in its note when present, else ``ci_method``, else
    the study's ``km_ci_method`` (study.yaml), else "log" (R's default). Times are converted when
    the row's unit differs from the study's ``time_unit`` (a month is 365.25/12 days)."""
    covariates = covariates if covariates is not None else ledger.covariates
    ci_method = ci_method or str(ledger.meta.get("km_ci_method", "log"))
    out: list[Finding] = []
    surv = ledger.survival
    if surv.empty:
        return out
    pop = _Population(ledger, ipd, covariates)
    check = "survival_matches_ipd"
    data_unit = str(ledger.meta.get("time_unit", "")).lower()
    for _, row in surv.iterrows():
        ep = row["endpoint"]
        item_name = f"{ep} {row['statistic']}" + ("" if row["population"] == "all" else f" ({row['population']})")
        if row["statistic"] != "median":
            out.append(_untestable(ledger, "survival", check, item_name, row,
                                   "the ledger gives no landmark time for a survival rate"))
            continue
        if not has_endpoint(ipd, ep, covariates):
            out.append(_untestable(ledger, "survival", check, item_name, row,
                                   f"the data have no {ep} columns"))
            continue
        mask, why = pop.mask(row["population"])
        if mask is None:
            out.append(_untestable(ledger, "survival", check, item_name, row, why))
            continue
        unit = str(row["unit"]).lower()
        if unit != data_unit and not (unit in DAYS_PER_UNIT and data_unit in DAYS_PER_UNIT):
            out.append(_untestable(ledger, "survival", check, item_name, row,
                                   f"cannot convert the data's time unit '{data_unit}' to '{unit}'"))
            continue
        factor = DAYS_PER_UNIT[data_unit] / DAYS_PER_UNIT[unit] if unit != data_unit else 1.0
        method = _row_ci_method(row, ci_method)
        level = float(row["ci_level"]) if row.get("ci_level") else 95.0
        tcol, ecol = endpoint_columns(ep, covariates)
        fit = km_fit(ipd.loc[mask, tcol] * factor, ipd.loc[mask, ecol], ci_method=method,
                     alpha=1 - level / 100)
        f = _Fields(rounding)
        f.add("n", row["n"], fit.n, integer=True)
        f.add("median", row["center"], fit.median)
        f.add("CI low", row["ci_low"], fit.ci_low)
        f.add("CI high", row["ci_high"], fit.ci_high)
        conv = "" if factor == 1 else f", times converted from {data_unit} to {unit}"
        out.append(_judged(ledger, "survival", check, item_name, row, f,
                           f"Kaplan-Meier on {fit.n} patients ({why}), {fit.events} events, "
                           f"median CI by R's quantile.survfit rule, conf.type={method}{conv}"))
    return out


def _cox_for(ledger, ipd, covariates, model, endpoint, variables, references, alpha):
    if model == "univariable":
        return cox_univariable(ipd, covariates, endpoint, references=references,
                               variables=variables, alpha=alpha)
    return cox_multivariable(ipd, covariates, variables, endpoint, references=references,
                             alpha=alpha)


def cox_matches_ipd(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
                    rounding: str = "auto", **_) -> list[Finding]:
    """Hazard ratios, CIs and p (hazard_ratios.csv, role ``estimate``) against Cox models refitted
    on the data: one model per variable for ``univariable`` rows, one model with every variable of
    the printed multivariable model for ``multivariable`` rows (Efron ties, complete cases)."""
    covariates = covariates if covariates is not None else ledger.covariates
    hr = ledger.hazard_ratios
    out: list[Finding] = []
    if hr.empty:
        return out
    check = "cox_matches_ipd"
    specs = covariate_specs(covariates)
    estimates = hr[hr["role"] == "estimate"]
    for (model, ep), block in estimates.groupby(["model", "endpoint"], sort=False):
        in_model = hr[(hr["model"] == model) & (hr["endpoint"] == ep)
                      & hr["role"].isin(["estimate", "reference"])]
        references = {r["variable"]: r["reference"] for _, r in in_model.iterrows() if r["reference"]}
        missing = [v for v in in_model["variable"].unique() if v not in specs
                   or str(specs[v]["column"]) not in ipd.columns]
        groups = ([(v, block[block["variable"] == v]) for v in block["variable"].unique()]
                  if model == "univariable" else [(None, block)])
        for var, rows in groups:
            variables = [var] if var is not None else list(in_model["variable"].unique())
            why = None
            if not has_endpoint(ipd, ep, covariates):
                why = f"the data have no {ep} columns"
            elif any(v in missing for v in variables):
                gone = ", ".join(v for v in variables if v in missing)
                why = f"covariates.yaml maps no patient column for {gone}"
            fitted = None
            if why is None:
                level = float(rows.iloc[0]["ci_level"]) if rows.iloc[0]["ci_level"] else 95.0
                try:
                    fitted = _cox_for(ledger, ipd, covariates, model, ep, variables,
                                      {v: references[v] for v in variables if v in references
                                       and covariate_kind(specs[v]) != "continuous"},
                                      1 - level / 100)
                except Exception as exc:  # a model the data cannot fit is not testable
                    why = f"the Cox model could not be fitted ({type(exc).__name__}: {exc})"
            for _, row in rows.iterrows():
                continuous = row["variable"] in specs and covariate_kind(specs[row["variable"]]) == "continuous"
                item_name = (f"{model} {ep}: {row['variable']} ({row['level']})" if continuous else
                             f"{model} {ep}: {row['variable']} {row['level']} vs {row['reference']}")
                if why is not None:
                    out.append(_untestable(ledger, "cox", check, item_name, row, why))
                    continue
                kind = covariate_kind(specs[row["variable"]])
                hit = fitted[fitted["variable"] == row["variable"]]
                if kind != "continuous":
                    hit = hit[hit["level"] == row["level"]]
                if hit.empty:
                    out.append(_untestable(ledger, "cox", check, item_name, row,
                                           f"no patient has level '{row['level']}'"))
                    continue
                h = hit.iloc[0]
                f = _Fields(rounding)
                f.add("HR", row["hr"], h["hr"])
                f.add("CI low", row["ci_low"], h["ci_low"])
                f.add("CI high", row["ci_high"], h["ci_high"])
                f.add("p", row["p"], h["p"])
                if kind != "continuous":
                    f.add("n level", row["n_level"], float(h["n_level"]), integer=True)
                    f.add("n reference", row["n_reference"], float(h["n_reference"]), integer=True)
                out.append(_judged(ledger, "cox", check, item_name, row, f,
                                   f"{model} Cox model ({', '.join(variables)}) on {h['n']} patients "
                                   f"with {h['events']} events"))
    return out


def direction_matches_ipd(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
                          **_) -> list[Finding]:
    """Statements of direction (statements.csv) against the sign of the univariable log-HR in the
    data: a level said to have the poorer prognosis must have HR > 1 against the reference (or, if
    it is the reference, every other level HR < 1); the reverse for a better prognosis."""
    covariates = covariates if covariates is not None else ledger.covariates
    st = ledger.statements
    out: list[Finding] = []
    if st.empty:
        return out
    specs = covariate_specs(covariates)
    hr = ledger.hazard_ratios
    check = "direction_matches_ipd"
    for _, row in st.iterrows():
        var, level = row["variable"], row["level"]
        item_name = f"{row['kind']}: {var} {level}"
        ep = row["endpoint"]
        if ep not in ("OS", "PFS"):
            eps = hr[hr["variable"] == var]["endpoint"].unique().tolist() if not hr.empty else []
            ep = eps[0] if eps else "OS"
        if not has_endpoint(ipd, ep, covariates):
            out.append(_untestable(ledger, "cox", check, item_name, row, f"the data have no {ep} columns"))
            continue
        if var not in specs or str(specs[var]["column"]) not in ipd.columns:
            out.append(_untestable(ledger, "cox", check, item_name, row,
                                   f"covariates.yaml maps no patient column for {var}"))
            continue
        refs = hr[(hr["variable"] == var) & (hr["reference"] != "")]["reference"] if not hr.empty else []
        ref = {var: refs.iloc[0]} if len(refs) and covariate_kind(specs[var]) != "continuous" else None
        try:
            fitted = cox_univariable(ipd, covariates, ep, references=ref, variables=[var])
        except Exception as exc:
            out.append(_untestable(ledger, "cox", check, item_name, row,
                                   f"the Cox model could not be fitted ({type(exc).__name__})"))
            continue
        if (fitted["level"] == level).any():
            h = fitted[fitted["level"] == level].iloc[0]
            worse = h["hr"] > 1
            shown = f"HR {h['hr']:.2f} for {level} vs {h['reference']}, p = {h['p']:.3g}"
        elif (fitted["reference"] == level).all() and len(fitted):
            worse = bool((fitted["hr"] < 1).all())
            shown = "; ".join(f"HR {r.hr:.2f} for {r.level} vs {level}" for r in fitted.itertuples())
        else:
            out.append(_untestable(ledger, "cox", check, item_name, row,
                                   f"'{level}' is not a level of {var} in the fitted model"))
            continue
        claims_worse = row["kind"] == "poorer_prognosis"
        ok = worse == claims_worse
        verdict = "consistent" if ok else "inconsistent"
        expected = f"{level} {'poorer' if worse else 'better'} ({shown})"
        why = (f"The univariable {ep} model on the data gives {shown}: {level} has the "
               f"{'poorer' if worse else 'better'} prognosis, "
               + ("as stated." if ok else "the opposite of the statement."))
        out.append(_finding(ledger, "cox", check, item_name, verdict, "contradiction", row,
                            expected, why))
    return out


def adverse_events_match_ipd(ledger, ipd: pd.DataFrame, rounding: str = "auto", **_) -> list[Finding]:
    """Adverse-event counts and percentages (adverse_events.csv) against the ``ae_`` grades."""
    ae = ledger.adverse_events
    out: list[Finding] = []
    if ae.empty:
        return out
    check = "adverse_events_match_ipd"
    cols = ae_columns(ipd)
    for _, row in ae.iterrows():
        item_name = f"{row['event']} ({row['grade_band']})"
        band = row["grade_band"]
        if band not in GRADE_BANDS:
            out.append(_untestable(ledger, "toxicity", check, item_name, row,
                                   f"grade band '{band}' is not one of {', '.join(GRADE_BANDS)}"))
            continue
        if row["event"].upper() == "ANY" or row["role"] == "total":
            use = cols
        else:
            col = AE_PREFIX + slug(row["event"])
            use = [col] if col in ipd.columns else []
        if not use:
            out.append(_untestable(ledger, "toxicity", check, item_name, row,
                                   f"the data have no column {AE_PREFIX}{slug(row['event'])}"
                                   if cols else "the data have no adverse-event columns"))
            continue
        count = int(_band_mask(_worst_grade(ipd, use), band).sum())
        n = _n(ipd)
        f = _Fields(rounding)
        f.add("count", row["count"], count, integer=True)
        f.add("%", row["percent"], 100 * count / n)
        out.append(_judged(ledger, "toxicity", check, item_name, row, f,
                           f"{count} of {n} patients with worst grade in {band}"))
    return out


AREA_CHECKS = {
    "design": (cohort_size_matches_ipd,),
    "baseline": (baseline_matches_ipd,),
    "efficacy": (response_matches_ipd,),
    "survival": (survival_matches_ipd,),
    "cox": (cox_matches_ipd, direction_matches_ipd),
    "toxicity": (adverse_events_match_ipd,),
}


def patient_level_findings(ledger, ipd: pd.DataFrame, areas: Iterable[str] | None = None, *,
                           covariates: dict | None = None, rounding: str = "auto",
                           ci_method: str | None = None) -> list[Finding]:
    """Every printed number the patient data can recompute, compared at the printed precision.

    ``areas``: any of design, baseline, efficacy, survival, cox, toxicity (default: all).
    ``covariates`` defaults to the study's covariates.yaml; ``ci_method`` is the Kaplan-Meier CI
    type for survival rows whose note does not say ``conf.type=...`` (default: the study's
    ``km_ci_method``, else "log").
    """
    chosen = list(areas) if areas is not None else list(AREA_CHECKS)
    unknown = set(chosen) - set(AREA_CHECKS)
    if unknown:
        raise ValueError(f"unknown area(s) {sorted(unknown)} (known: {', '.join(AREA_CHECKS)})")
    out: list[Finding] = []
    for area in chosen:
        for fn in AREA_CHECKS[area]:
            out.extend(fn(ledger, ipd, covariates=covariates, rounding=rounding,
                          ci_method=ci_method))
    return out


def patient_level_table(ledger, ipd: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """:func:`patient_level_findings` as a tidy table with a verdict column."""
    return findings_frame(patient_level_findings(ledger, ipd, **kwargs))


def cox_tables(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
               alpha: float = 0.05) -> pd.DataFrame:
    """Cox models refitted on the data, for every endpoint the data have: one univariable model per
    covariate of covariates.yaml whose column the data have, and the multivariable model with the
    variables the ledger prints for it (when all of them are in the data). Reference levels as
    printed in hazard_ratios.csv. Models the data cannot fit are listed in ``.attrs["skipped"]``."""
    from ..cohort.survival import COX_COLUMNS, references_from_ledger

    covariates = covariates if covariates is not None else ledger.covariates
    specs = covariate_specs(covariates)
    usable = [v for v, item in specs.items() if str(item["column"]) in ipd.columns]
    hr = ledger.hazard_ratios
    parts, skipped = [], []
    for ep in ("PFS", "OS"):
        if not has_endpoint(ipd, ep, covariates) or not usable:
            continue
        refs = {v: r for v, r in references_from_ledger(ledger, ep).items()
                if v in specs and covariate_kind(specs[v]) != "continuous"}
        for v in usable:
            try:
                parts.append(cox_univariable(ipd, covariates, ep, references=refs, variables=[v],
                                             alpha=alpha))
            except Exception as exc:  # e.g. a printed reference level the data do not have
                skipped.append(f"univariable {ep} {v}: {type(exc).__name__}: {exc}")
        if not hr.empty:
            multi = hr[(hr["model"] == "multivariable") & (hr["endpoint"] == ep)
                       & hr["role"].isin(["estimate", "reference"])]["variable"].unique().tolist()
            if multi and not all(v in usable for v in multi):
                skipped.append(f"multivariable {ep}: the data lack "
                               f"{', '.join(v for v in multi if v not in usable)}")
            elif multi:
                try:
                    parts.append(cox_multivariable(ipd, covariates, multi, ep, references=refs,
                                                   alpha=alpha))
                except Exception as exc:
                    skipped.append(f"multivariable {ep}: {type(exc).__name__}: {exc}")
    out = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COX_COLUMNS))
    out.attrs["skipped"] = skipped
    return out


COMPARISON_COLUMNS = ["area", "check", "item", "locator", "row_id", "verdict", "field", "printed",
                      "printed_value", "recomputed", "agreement", "difference_units"]


def comparison_table(ledger, ipd: pd.DataFrame, areas: Iterable[str] | None = None,
                     **kwargs) -> pd.DataFrame:
    """Field by field what :func:`patient_level_findings` compared: each printed number, the value
    recomputed from the data and their difference in units of the last printed digit (within
    +-0.5 prints the same). Rows judged not testable have nothing to compare and are absent."""
    token = _COLLECT.set([])
    try:
        patient_level_findings(ledger, ipd, areas, **kwargs)
        rows = _COLLECT.get()
    finally:
        _COLLECT.reset(token)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# ------------------------------------------------------------------------------------------------
# the baseline table with tableone
# ------------------------------------------------------------------------------------------------

BASELINE_COLUMNS = ["row_id", "variable", "level", "statistic", "printed", "ipd", "ipd_n", "column",
                    "locator", "source"]


def _decimals(texts: Iterable[str], default: int = 1) -> int:
    found = []
    for t in texts:
        try:
            found.append(parse_printed(t).decimals)
        except (TypeError, ValueError):
            pass
    return max(found) if found else default


def _baseline_plan(ipd: pd.DataFrame, ledger=None, covariates: dict | None = None):
    """What goes into the table: [(variable, kind, item, levels, statistic, decimals)]."""
    plan = []
    if ledger is not None:
        covariates = covariates if covariates is not None else ledger.covariates
        counts = ledger.counts
        if not counts.empty:
            rows = counts[counts["quantity"].str.startswith("baseline.") & (counts["role"] == "level")]
            for var in rows["variable"].unique():
                r = rows[rows["variable"] == var]
                plan.append((var, "categorical", resolve_variable(var, covariates, ipd),
                             r["level"].unique().tolist(), "n_percent", _decimals(r["percent"])))
        summ = ledger.summaries
        if not summ.empty:
            rows = summ[summ["quantity"].str.startswith("baseline.")]
            for var in rows["variable"].unique():
                r = rows[rows["variable"] == var]
                plan.append((var, "continuous", resolve_variable(var, covariates, ipd), None,
                             r["statistic"].iloc[0], _decimals(r["center"])))
        return plan, covariates
    specs = covariate_specs(covariates)
    if specs:
        seen = set()
        for var, item in specs.items():
            if str(item["column"]) not in ipd.columns:
                continue
            kind = covariate_kind(item)
            if kind == "continuous":
                if (item["column"], "c") in seen:
                    continue
                seen.add((item["column"], "c"))
                plan.append((var, "continuous", item, None, "mean_sd", 1))
            else:
                plan.append((var, "categorical", item, None, "n_percent", 1))
        extra = [c for c in ("line",) if c in ipd.columns]
    else:
        extra = [c for c in ipd.columns if c not in _RESERVED and not c.startswith(AE_PREFIX)]
    for col in extra:
        numeric = pd.api.types.is_numeric_dtype(ipd[col])
        plan.append((col, "continuous" if numeric else "categorical", {"column": col}, None,
                     "mean_sd" if numeric else "n_percent", 1))
    return plan, covariates


def baseline_tableone(ipd: pd.DataFrame, ledger=None, covariates: dict | None = None):
    """The baseline table of the patient data as a ``tableone.TableOne``: the ledger's baseline
    variables (levels in the ledger's order, percentages and means at the printed number of
    decimals, median [min,max] where the paper prints a range), or every covariate without a
    ledger. Returns ``(TableOne or None, plan)``."""
    from tableone import TableOne

    plan, _ = _baseline_plan(ipd, ledger, covariates)
    frame = pd.DataFrame(index=ipd.index)
    categorical, nonnormal, min_max, decimals, order = [], [], [], {}, {}
    for var, kind, item, levels, stat, dec in plan:
        if item is None:
            continue
        if kind == "categorical":
            lv = level_series(ipd, item, var, levels=levels)
            frame[var] = lv.astype(object)
            categorical.append(var)
            wanted = levels or [str(v) for v in (item.get("levels") or [])] or _sorted_levels(lv)
            present = [x for x in wanted if (lv == x).any()]
            present += [x for x in _sorted_levels(lv) if x not in present]
            order[var] = present
        else:
            frame[var] = pd.to_numeric(ipd[str(item["column"])], errors="coerce")
            if stat.startswith("median"):
                nonnormal.append(var)
                if stat == "median_range":
                    min_max.append(var)
        decimals[var] = dec
    if frame.shape[1] == 0:
        return None, plan
    table = TableOne(frame, columns=list(frame.columns), categorical=categorical or None,
                     nonnormal=nonnormal or None, min_max=min_max or None, decimals=decimals,
                     order=order or None, missing=True)
    return table, plan


def _sorted_levels(lv: pd.Series) -> list[str]:
    values = [v for v in lv.dropna().unique().tolist()]
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values, key=str)


def _tableone_cell(table, variable: str, level: str = "") -> str:
    t = table.tableone
    col = [c for c in t.columns if (c[-1] if isinstance(c, tuple) else c) == "Overall"]
    if not col:
        return ""
    for (label, lvl), value in t[col[0]].items():
        if str(label).startswith(f"{variable}, ") and (level == "" or str(lvl) == str(level)):
            return str(value).strip()
    return ""


def patient_baseline_table(ipd: pd.DataFrame, ledger=None, covariates: dict | None = None) -> pd.DataFrame:
    """The baseline table computed from the patient data with ``tableone``, set beside the ledger.

    With a ledger: one row per baseline row of counts.csv / summaries.csv (quantity ``baseline.``)
    with the printed text and the tableone cell (``n (%)``, ``mean (SD)``, ``median [min,max]``)
    at the printed precision; ``ipd`` is empty where the data have no such variable. Without a
    ledger: the tableone rows of every covariate. Aggregates only.
    """
    table, plan = baseline_tableone(ipd, ledger, covariates)
    rows = []
    if ledger is None:
        if table is None:
            return pd.DataFrame(columns=BASELINE_COLUMNS)
        for var, kind, item, _, stat, _ in plan:
            if kind == "categorical":
                for level in table.tableone.loc[[i for i in table.tableone.index
                                                 if str(i[0]).startswith(f"{var}, ")]].index:
                    shown = "Missing" if str(level[1]) in ("None", "nan") else level[1]
                    rows.append({"variable": var, "level": shown, "statistic": "n_percent",
                                 "ipd": _tableone_cell(table, var, level[1]),
                                 "ipd_n": len(ipd), "column": item["column"]})
            else:
                x = pd.to_numeric(ipd[str(item["column"])], errors="coerce")
                rows.append({"variable": var, "level": "", "statistic": stat,
                             "ipd": _tableone_cell(table, var), "ipd_n": int(x.notna().sum()),
                             "column": item["column"]})
        return pd.DataFrame(rows).reindex(columns=BASELINE_COLUMNS).fillna("")
    by_var = {p[0]: p for p in plan}
    counts = ledger.counts
    if not counts.empty:
        for _, r in counts[counts["quantity"].str.startswith("baseline.")].iterrows():
            var, kind, item, levels, stat, dec = by_var.get(r["variable"], (r["variable"], "", None, None, "", 1))
            cell = _tableone_cell(table, var, r["level"]) if (table is not None and item) else ""
            rows.append({"row_id": r["row_id"], "variable": var, "level": r["level"],
                         "statistic": "n_percent", "printed": r["printed"], "ipd": cell,
                         "ipd_n": len(ipd) if item else "", "column": item["column"] if item else "",
                         "locator": r["locator"], "source": r["source"]})
    summ = ledger.summaries
    if not summ.empty:
        for _, r in summ[summ["quantity"].str.startswith("baseline.")].iterrows():
            var, kind, item, levels, stat, dec = by_var.get(r["variable"], (r["variable"], "", None, None, "", 1))
            cell = _tableone_cell(table, var) if (table is not None and item) else ""
            n = int(pd.to_numeric(ipd[str(item["column"])], errors="coerce").notna().sum()) if item else ""
            rows.append({"row_id": r["row_id"], "variable": var, "level": "",
                         "statistic": r["statistic"], "printed": r["printed"], "ipd": cell,
                         "ipd_n": n, "column": item["column"] if item else "",
                         "locator": r["locator"], "source": r["source"]})
    return pd.DataFrame(rows).reindex(columns=BASELINE_COLUMNS).fillna("")


__all__ = [
    "proportion_ci", "response_rates", "adverse_event_rates", "ae_columns", "resolve_variable",
    "ipd_matches", "ipd_matches_map", "cohort_size_matches_ipd", "baseline_matches_ipd",
    "response_matches_ipd", "survival_matches_ipd", "cox_matches_ipd", "direction_matches_ipd",
    "adverse_events_match_ipd", "patient_level_findings", "patient_level_table",
    "baseline_tableone", "patient_baseline_table", "MISSING_LEVELS", "comparison_table",
    "PatientData", "load_patient_data", "km_curves", "comparison_figure",
    "rates_figure", "cox_tables", "show_figures",
]


# ------------------------------------------------------------------------------------------------
# loading for the notebooks
# ------------------------------------------------------------------------------------------------

@dataclass
class PatientData:
    """Patient-level data as a notebook uses it, with what it can and cannot support."""

    data: pd.DataFrame = field(repr=False)
    source: str               # "synthetic", a bundled dataset name, or the file name of a CSV
    synthetic: bool           # simulated from the ledger: comparing it with the ledger proves nothing
    endpoints: list[str]
    has_response: bool
    has_adverse_events: bool

    @property
    def n(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        lacks = [what for what, ok in (("PFS", "PFS" in self.endpoints),
                                       ("OS", "OS" in self.endpoints),
                                       ("best response", self.has_response),
                                       ("adverse events", self.has_adverse_events)) if not ok]
        kind = "synthetic cohort simulated from the ledger" if self.synthetic else "real patient data"
        text = f"{self.source} ({kind}): {self.n} patients"
        return text + (f"; no {', no '.join(lacks)} -- those sections are skipped" if lacks else "")


def load_patient_data(ipd: str, ledger=None, seed: int = 0) -> PatientData:
    """Load ``ipd`` (``"synthetic"``, a bundled dataset name such as ``"ncctg_lung"``, or a CSV path;
    a relative path is tried from the working directory, then from the project root)."""
    from ..cohort.ipd import endpoints_available, load_ipd, registered_sources
    from ..core.paths import project_root

    source = str(ipd)
    if source not in registered_sources():
        path = Path(source)
        if not path.is_absolute() and not path.exists() and (project_root() / path).exists():
            path = project_root() / path
        data = load_ipd(str(path))
        shown = path.name
    else:
        data = load_ipd(source, ledger=ledger, seed=seed)
        shown = source
    return PatientData(data=data, source=shown, synthetic=(source == "synthetic"),
                       endpoints=endpoints_available(data),
                       has_response="best_response" in data.columns,
                       has_adverse_events=bool(ae_columns(data)))


# ------------------------------------------------------------------------------------------------
# figures: each returned twice, interactive (plotly) and static (matplotlib, survives export)
# ------------------------------------------------------------------------------------------------

def show_figures(fig, fig_static) -> None:
    """Display the interactive figure, then the static one as a PNG image (kept by any export);
    :func:`helpers.report.figures.show` for a pair of figures."""
    from ..report.figures import FigurePair, show

    show(FigurePair(fig, fig_static))


_AGREEMENT_COLOURS = {"match": "#4c956c", "slip": "#f4a259", "mismatch": "#bc4b51"}
_LINE = "#0072b2"


def km_curves(data: pd.DataFrame, ci_method: str = "log", covariates: dict | None = None,
              endpoints: Iterable[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier step curves with their pointwise band, per endpoint, starting at (0, 1)."""
    parts = []
    for ep in (endpoints or ("PFS", "OS")):
        if not has_endpoint(data, ep, covariates):
            continue
        t, e = endpoint_columns(ep, covariates)
        c = km_fit(data[t], data[e], ci_method=ci_method, alpha=alpha).curve
        start = pd.DataFrame({"time": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0]})
        parts.append(pd.concat([start, c[["time", "survival", "lower", "upper"]]],
                               ignore_index=True).assign(endpoint=ep))
    if not parts:
        return pd.DataFrame(columns=["endpoint", "time", "survival", "lower", "upper"])
    return pd.concat(parts, ignore_index=True)[["endpoint", "time", "survival", "lower", "upper"]]


def comparison_figure(comparison: pd.DataFrame, title: str = "Printed numbers against the patient data",
                      clip: float = 10.0):
    """Each printed field: recomputed minus printed, in units of the last printed digit (clipped at
    +-``clip``). Inside the band of +-0.5 the recomputed value prints as printed."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    t = comparison.dropna(subset=["difference_units"]).reset_index(drop=True)
    labels = [f"{i} · {f}" for i, f in zip(t["item"], t["field"])]
    x = t["difference_units"].clip(-clip, clip)
    y = np.arange(len(t))[::-1].astype(float)
    colours = [_AGREEMENT_COLOURS.get(a, "#8d99ae") for a in t["agreement"]]
    fig = go.Figure()
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor="#4c956c", opacity=0.12, line_width=0)
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker=dict(color=colours, size=8),
                             text=[f"{lb}: printed {p}, data {r:.6g}" for lb, p, r in
                                   zip(labels, t["printed"], t["recomputed"])],
                             hovertemplate="%{text}<extra></extra>", showlegend=False))
    fig.update_layout(title=title, template="simple_white", height=max(300, 60 + 22 * len(t)),
                      xaxis_title="recomputed - printed (units of the last printed digit)",
                      yaxis=dict(tickvals=y, ticktext=labels), margin=dict(l=20, r=20, t=50, b=40))
    fig_m = Figure(figsize=(9, 0.28 * len(t) + 1.6))
    ax = fig_m.subplots()
    ax.axvspan(-0.5, 0.5, color="#4c956c", alpha=0.12, lw=0)
    ax.scatter(x, y, c=colours, s=22)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlim(-clip - 0.5, clip + 0.5)
    ax.set(xlabel="recomputed - printed (units of the last printed digit)", title=title)
    fig_m.tight_layout()
    return fig, fig_m


def rates_figure(rates: pd.DataFrame, label: str = "level", title: str = "Rates with exact 95% CI"):
    """Horizontal bars of ``percent`` with Clopper-Pearson limits (``ci_low``/``ci_high``), e.g. the
    output of :func:`response_rates` or :func:`adverse_event_rates` (one row per bar)."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    t = rates.reset_index(drop=True)
    labels = [str(v) for v in t[label]]
    fig = go.Figure(go.Bar(x=t["percent"], y=labels, orientation="h", marker_color=_LINE,
                           error_x=dict(type="data", symmetric=False,
                                        array=t["ci_high"] - t["percent"],
                                        arrayminus=t["percent"] - t["ci_low"])))
    fig.update_layout(title=title, xaxis_title="% of patients", template="simple_white",
                      height=max(300, 60 + 26 * len(t)), yaxis=dict(autorange="reversed"))
    fig_m = Figure(figsize=(8, 0.3 * len(t) + 1.5))
    ax = fig_m.subplots()
    y = np.arange(len(t))
    ax.barh(y, t["percent"], color=_LINE,
            xerr=[t["percent"] - t["ci_low"], t["ci_high"] - t["percent"]], capsize=2)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="% of patients", title=title)
    fig_m.tight_layout()
    return fig, fig_m
