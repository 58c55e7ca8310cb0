"""Tables computed from patient-level data (aggregates only), and what each printed number becomes
when recomputed from them.

Tables, from a patient frame in the schema of ``data/ipd/README.md``, all under the disclosure rules
of :mod:`helpers.cohort.disclosure` (counts below ``min_cell`` shown as ``<10``, no minimum or
maximum, no summary of fewer than ``min_cell`` patients):

* :func:`response_rates` -- best-response counts, ORR (CR+PR) and DCR (CR+PR+SD) with exact
  Clopper-Pearson CIs (Clopper & Pearson 1934, Biometrika 26:404; ``helpers.core.stats``);
* :func:`adverse_event_rates` -- per ``ae_`` column, patients with a worst grade in the bands 1-2
  (``<3``), 3-5 (``>=3``) and 1-5 (``any``), with Clopper-Pearson CIs;
* :func:`baseline_tableone` / :func:`patient_baseline_table` -- the baseline table with
  ``tableone`` (Pollard et al. 2018, JAMIA Open 1:26-31) beside the printed one;
* :func:`cox_tables` -- every Cox model the data can fit (:mod:`helpers.cohort.survival`);
* :func:`km_curves` -- Kaplan-Meier curves for figures, from coarsened times, cut where fewer than
  ``min_cell`` patients remain at risk.

Recomputation (:func:`recompute`): for each ledger row a patient-level check can test, a
:class:`Recomputed` record with one :class:`Field` per printed number (the printed text and the
value the data give) or the reason it cannot be tested. The registered checks
(:mod:`helpers.checks.patient_level`) judge these records; :func:`comparison_table` lays the same
records out field by field for the comparison figure -- computed directly, not by re-running the
checks. :func:`field_agreement` is the one comparison of a printed text with a recomputed value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..core.printed import parse_printed
from ..core.stats import clopper_pearson
from ..core.rounding import RULES, exact, format_exact, interval
from ..core.text import slug
from ..core.units import DAYS_PER_UNIT
from ..ledger.select import records
from .disclosure import (MIN_CELL, coarsen, cut_at_risk, default_grid, is_small, show_count,
                         small_text, suppression_note, suppress_rates, too_few)
from .ipd import AE_PREFIX, RESPONSES
from .survival import (COX_COLUMNS, covariate_kind, covariate_specs, cox_multivariable,
                       cox_univariable, endpoint_columns, has_endpoint, km_fit, level_series,
                       references_from_ledger)

RATE_COLUMNS = ["group", "level", "role", "definition", "count", "denominator", "percent",
                "ci_low", "ci_high"]
AE_COLUMNS = ["event", "column", "grade_band", "role", "count", "denominator", "percent", "ci_low",
              "ci_high"]
RATES = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}
GRADE_BANDS = {"<3": (1, 2), ">=3": (3, 5), "any": (1, 5), "1-2": (1, 2), "3-4": (3, 4),
               "5": (5, 5), "3": (3, 3), "4": (4, 4)}
RESERVED = {"id", "os_time", "os_event", "pfs_time", "pfs_event", "best_response"}
_CONF_TYPE = re.compile(r"conf\.type\s*=\s*(log-log|log|plain)")
EXTREME = "not shown (a single patient's value)"


# ------------------------------------------------------------------------------------------------
# rates with exact CIs
# ------------------------------------------------------------------------------------------------

def exact_ci(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Clopper-Pearson (exact) CI of ``count/n``, in percent; (nan, nan) when ``n`` is 0.

    Uses :func:`helpers.core.stats.clopper_pearson` (the package's one exact interval).
    """
    if n == 0:
        return (np.nan, np.nan)
    low, high = clopper_pearson(int(count), int(n), 1 - alpha)
    return (100 * float(low), 100 * float(high))


def _rate_row(group, level, role, definition, count, n, alpha):
    low, high = exact_ci(count, n, alpha)
    return {"group": group, "level": level, "role": role, "definition": definition,
            "count": int(count), "denominator": int(n),
            "percent": 100 * count / n if n else np.nan, "ci_low": low, "ci_high": high}


def response_rates(ipd: pd.DataFrame, alpha: float = 0.05, by: str | None = None,
                   min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Best-response counts and ORR/DCR with Clopper-Pearson CIs.

    Parameters
    ----------
    ipd : DataFrame
        Patient-level data with ``best_response`` (an empty response counts as not evaluated).
    alpha : float
        1 - confidence level of the exact CIs.
    by : str, optional
        A column for subgroups (e.g. ``"line"``).
    min_cell : int
        Counts below it (and their percentages and CIs) are suppressed
        (:func:`helpers.cohort.disclosure.suppress_rates`); 0 shows everything.

    Returns
    -------
    DataFrame
        :data:`RATE_COLUMNS` plus ``shown`` and ``suppressed``; empty without ``best_response``.

    Example
    -------
    >>> response_rates(pd.DataFrame({"id": list("abcdefghijkl"),
    ...                              "best_response": ["PR"] * 12}))["shown"].iloc[1]
    '12/12'
    """
    if "best_response" not in ipd.columns:
        return suppress_rates(pd.DataFrame(columns=RATE_COLUMNS), min_cell)
    groups = [("all", ipd)]
    if by is not None and by in ipd.columns:
        groups += [(f"{by}={g}", sub) for g, sub in ipd.groupby(ipd[by].astype(str), sort=True)
                   if str(g).strip() not in ("", "nan")]
    rows = []
    for name, sub in groups:
        resp = sub["best_response"].fillna("").astype(str).str.strip()
        n = len(sub)
        for level in RESPONSES:
            rows.append(_rate_row(name, level, "level", "", int((resp == level).sum()), n, alpha))
        rows.append(_rate_row(name, "not evaluated", "level", "", int((resp == "").sum()), n, alpha))
        for rate, parts in RATES.items():
            rows.append(_rate_row(name, rate, "rate", "+".join(parts), int(resp.isin(parts).sum()),
                                  n, alpha))
    return suppress_rates(pd.DataFrame(rows, columns=RATE_COLUMNS), min_cell)


def ae_columns(ipd: pd.DataFrame) -> list[str]:
    """The adverse-event columns (``ae_<event>``) of a patient frame."""
    return [c for c in ipd.columns if str(c).startswith(AE_PREFIX)]


def band_mask(grades: pd.DataFrame | pd.Series, band: str) -> pd.Series:
    """Patients whose (worst) grade lies in ``band`` (a key of :data:`GRADE_BANDS`)."""
    low, high = GRADE_BANDS[band]
    inside = (grades >= low) & (grades <= high)
    return inside if isinstance(inside, pd.Series) else inside.any(axis=1)


def worst_grade(ipd: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each patient's worst grade over ``columns``."""
    return ipd[list(columns)].apply(pd.to_numeric, errors="coerce").max(axis=1)


def adverse_event_rates(ipd: pd.DataFrame, alpha: float = 0.05,
                        bands: Sequence[str] = ("<3", ">=3", "any"),
                        min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Patients per adverse event and grade band (worst grade), with Clopper-Pearson CIs, plus
    ``ANY`` rows (worst grade over all events); small counts suppressed as in
    :func:`response_rates`. Empty table when the data have no ``ae_`` column."""
    cols = ae_columns(ipd)
    if not cols:
        return suppress_rates(pd.DataFrame(columns=AE_COLUMNS), min_cell)
    n = len(ipd)
    rows = []
    for col in cols:
        grade = pd.to_numeric(ipd[col], errors="coerce")
        for band in bands:
            r = _rate_row("", "", "event", "", int(band_mask(grade, band).sum()), n, alpha)
            rows.append({**r, "event": col[len(AE_PREFIX):], "column": col, "grade_band": band})
    worst = worst_grade(ipd, cols)
    for band in bands:
        r = _rate_row("", "", "total", "", int(band_mask(worst, band).sum()), n, alpha)
        rows.append({**r, "event": "ANY", "column": "", "grade_band": band, "role": "total"})
    return suppress_rates(pd.DataFrame(rows).reindex(columns=AE_COLUMNS), min_cell)


# ------------------------------------------------------------------------------------------------
# mapping ledger variables onto patient columns
# ------------------------------------------------------------------------------------------------

def resolve_variable(variable: str, covariates: dict | None, ipd: pd.DataFrame) -> dict | None:
    """How a ledger variable maps to the patient data: the ``baseline`` or ``covariates`` entry of
    covariates.yaml, else a column with the same slug (:func:`helpers.core.text.slug`); ``None``
    when nothing maps."""
    spec = covariates or {}
    for section in ((spec.get("baseline") or {}), covariate_specs(spec)):
        item = section.get(variable)
        if isinstance(item, dict) and item.get("column") and str(item["column"]) in ipd.columns:
            return item
    target = slug(variable)
    for col in ipd.columns:
        if slug(col) == target and col != "id":
            return {"column": col}
    return None


def covariates_for(ledger, ipd: pd.DataFrame) -> dict:
    """The study's covariates.yaml, completed for the hazard-ratio and statement variables it does
    not map by a patient column of the same slug (a categorical covariate)."""
    spec = dict(ledger.covariates or {})
    specs = dict(covariate_specs(spec))
    names = []
    for table in (ledger.hazard_ratios, ledger.statements):
        if len(table) and "variable" in table.columns:
            names += [v for v in table["variable"].unique() if v not in specs]
    for var in dict.fromkeys(names):
        target = slug(var)
        col = next((c for c in ipd.columns if slug(c) == target and c not in RESERVED), None)
        if col is not None:
            specs[var] = {"column": col}
    out = {k: v for k, v in spec.items() if k != "covariates" and not (isinstance(v, dict)
                                                                       and "column" in v)}
    out["covariates"] = specs
    return out


class Population:
    """The patients a ledger row refers to (``population`` = ``all`` or a counts quantity key)."""

    def __init__(self, ledger, ipd: pd.DataFrame, covariates: dict | None):
        self.ledger, self.ipd, self.covariates = ledger, ipd, covariates or {}
        self._masks: dict[str, tuple[pd.Series | None, str]] = {}

    def mask(self, population: str) -> tuple[pd.Series | None, str]:
        """(mask of the patients, description) or (None, why there is no such subgroup); worked
        out once per population (many ledger rows share one)."""
        key = str(population)
        if key not in self._masks:
            self._masks[key] = self._mask(population)
        return self._masks[key]

    def _mask(self, population: str) -> tuple[pd.Series | None, str]:
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


def sorted_levels(lv: pd.Series) -> list[str]:
    values = [v for v in lv.dropna().unique().tolist()]
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values, key=str)


# ------------------------------------------------------------------------------------------------
# one printed number against its recomputed value
# ------------------------------------------------------------------------------------------------

def _as_fraction(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    return Fraction(Decimal(repr(float(value))))   # the shortest decimal of the float


def _finite(value) -> bool:
    if value is None:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def field_agreement(printed: str, value, rule: str, integer: bool = False) -> str:
    """``match`` (``value`` prints as ``printed`` under ``rule``), ``slip`` (it does not, but is
    within one unit of the last printed digit or prints so under another rule; only for printed
    decimals) or ``mismatch``. A bound (``<0.001``) matches when ``value`` lies on its side; a
    count (``integer``) matches when equal. No value (None, nan) is a mismatch."""
    if not _finite(value):
        return "mismatch"
    p = parse_printed(printed)
    if integer:
        return "match" if not p.bound and int(round(float(value))) == int(p.value) else "mismatch"
    x = _as_fraction(value)
    if interval(p, rule).contains(x):
        return "match"
    if p.bound:
        return "mismatch"
    unit = Fraction(1, 10 ** p.decimals)
    if p.decimals > 0 and (any(interval(p, r).contains(x) for r in RULES)
                           or abs(x - exact(p)) <= unit):
        return "slip"
    return "mismatch"


@dataclass
class Field:
    """One printed number of a ledger row and the value the patient data give.

    ``hidden`` is the text shown instead of the value when disclosure control forbids showing it
    (``"<10"``, a suppression note, or :data:`EXTREME`); the comparison itself still uses the value.
    """

    name: str
    printed: str
    value: object
    integer: bool = False
    hidden: str = ""

    def agreement(self, rule: str) -> str:
        return field_agreement(self.printed, self.value, rule, self.integer)

    def shown(self, rule: str) -> str:
        """The recomputed value as a table or finding may show it, at the printed precision."""
        if self.hidden:
            return self.hidden
        if not _finite(self.value):
            return "NA"
        if self.integer:
            return str(int(round(float(self.value))))
        p = parse_printed(self.printed)
        if p.bound:
            return p.text if self.agreement(rule) == "match" else format_exact(
                _as_fraction(self.value), max(p.decimals, 3), rule)
        return format_exact(_as_fraction(self.value), p.decimals, rule)

    def difference_units(self) -> float:
        """Recomputed minus printed in units of the last printed digit (nan when hidden, a bound
        or no value)."""
        if self.hidden or not _finite(self.value):
            return np.nan
        p = parse_printed(self.printed)
        return np.nan if p.bound else (float(self.value) - p.value) / p.unit


@dataclass
class Recomputed:
    """A ledger row a patient-level check tests: its printed fields with their recomputed values,
    what they were recomputed from (``what``, disclosure-safe), or why the row cannot be tested."""

    area: str
    check: str
    item: str
    row: "dict | pd.Series" = field(repr=False)   # the ledger row (a record)
    fields: list[Field] = field(default_factory=list)
    what: str = ""
    untestable: str = ""

    def add(self, name: str, printed, value, integer: bool = False, hidden: str = "") -> None:
        if printed is not None and str(printed).strip() != "":
            self.fields.append(Field(name, str(printed).strip(), value, integer, hidden))


def _count_hidden(count, min_cell: int) -> str:
    return small_text(min_cell) if is_small(count, min_cell) else ""


def _summary_hidden(n, min_cell: int) -> str:
    return suppression_note(min_cell) if too_few(n, min_cell) else ""


def _share(count: int, n: int):
    return Fraction(100 * int(count), int(n)) if n else np.nan


def _untestable(area, check, item, row, why) -> Recomputed:
    return Recomputed(area, check, item, row, untestable=why)


def recompute_cohort_size(ledger, ipd, rows: pd.DataFrame, *, min_cell: int = MIN_CELL,
                          **_) -> list[Recomputed]:
    """design.csv ``cohort`` rows with parameter ``n`` against the number of patients."""
    out = []
    if rows.empty:
        return out
    for _, row in rows[(rows["kind"] == "cohort") & (rows["parameter"] == "n")].iterrows():
        rec = Recomputed("design", "cohort_size_matches_ipd", "Cohort size", row,
                         what=f"{show_count(len(ipd), min_cell)} patients in the data")
        rec.add("n", row["value"], len(ipd), integer=True,
                hidden=_count_hidden(len(ipd), min_cell))
        out.append(rec)
    return out


def recompute_baseline(ledger, ipd, counts: pd.DataFrame, summaries: pd.DataFrame, *,
                       covariates: dict | None = None, min_cell: int = MIN_CELL,
                       **_) -> list[Recomputed]:
    """Baseline counts/percentages (``baseline.`` rows of ``counts``) and every row of
    ``summaries`` against the data."""
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
    pop = Population(ledger, ipd, covariates)
    check, area = "baseline_matches_ipd", "baseline"
    out: list[Recomputed] = []
    rows = counts[counts["quantity"].astype(str).str.startswith("baseline.")] if len(counts) else counts
    levels_of = ({var: r["level"].unique().tolist()
                  for var, r in rows.groupby("variable", sort=False)} if len(rows) else {})
    for row in rows.to_dict("records"):
        item_name = f"{row['variable']}: {row['level']}"
        if row["role"] != "level":
            out.append(_untestable(area, check, item_name, row,
                                   f"a '{row['role']}' row has no patient-level definition"))
            continue
        item = resolve_variable(row["variable"], covariates, ipd)
        mask, why = pop.mask(row["population"])
        if item is None or mask is None:
            out.append(_untestable(area, check, item_name, row,
                                   why if mask is None else f"no column for '{row['variable']}'"))
            continue
        levels = levels_of[row["variable"]]
        lv = level_series(ipd, item, row["variable"], levels=levels)[mask]
        if not lv.isin(levels).any():
            common = [v for v in sorted_levels(lv) if not is_small((lv == v).sum(), min_cell)]
            seen = ", ".join(map(str, common[:8])) or "none shown (each held by few patients)"
            out.append(_untestable(area, check, item_name, row,
                                   f"none of the printed levels of '{row['variable']}' occurs in "
                                   f"column '{item['column']}' (its common values: {seen}); map "
                                   f"them with `values` in covariates.yaml"))
            continue
        count, n = int((lv == row["level"]).sum()), int(mask.sum())
        rec = Recomputed(area, check, item_name, row,
                         what=f"{show_count(count, min_cell)} of {show_count(n, min_cell)} "
                              f"patients ({why})")
        rec.add("count", row["count"], count, integer=True, hidden=_count_hidden(count, min_cell))
        rec.add("%", row["percent"], _share(count, n),
                hidden=_count_hidden(count, min_cell) or _summary_hidden(n, min_cell))
        out.append(rec)
    for row in summaries.to_dict("records"):
        item_name = f"{row['variable']} ({row['statistic']})"
        item = resolve_variable(row["variable"], covariates, ipd)
        mask, why = pop.mask(row["population"])
        if item is None or mask is None:
            out.append(_untestable(area, check, item_name, row,
                                   why if mask is None else f"no column for '{row['variable']}'"))
            continue
        x = pd.to_numeric(ipd.loc[mask, str(item["column"])], errors="coerce").dropna()
        few = _summary_hidden(len(x), min_cell)
        rec = Recomputed(area, check, item_name, row,
                         what=f"{show_count(len(x), min_cell)} patients with a value ({why})")
        rec.add("n", row["n"], len(x), integer=True, hidden=_count_hidden(len(x), min_cell))
        stat = row["statistic"]
        if stat in ("mean_sd", "mean"):
            rec.add("mean", row["center"], x.mean() if len(x) else np.nan, hidden=few)
            rec.add("SD", row["sd"], x.std(ddof=1) if len(x) > 1 else np.nan, hidden=few)
        else:
            rec.add("median", row["center"], x.median() if len(x) else np.nan, hidden=few)
            if stat == "median_range":
                rec.add("min", row["low"], x.min() if len(x) else np.nan, hidden=EXTREME)
                rec.add("max", row["high"], x.max() if len(x) else np.nan, hidden=EXTREME)
            elif stat == "median_iqr":
                rec.add("Q1", row["low"], x.quantile(0.25) if len(x) else np.nan, hidden=few)
                rec.add("Q3", row["high"], x.quantile(0.75) if len(x) else np.nan, hidden=few)
        out.append(rec)
    return out


def response_parts(row) -> tuple[tuple[str, ...] | None, str]:
    """The best-response categories a counts row adds up, or (None, why it is not one)."""
    if row["role"] == "level" and row["level"] in RESPONSES:
        return (row["level"],), ""
    if row["role"] == "rate" and row["definition"]:
        parts = tuple(p.strip() for p in str(row["definition"]).split("+"))
        if set(parts) <= set(RESPONSES):
            return parts, ""
        return None, f"definition '{row['definition']}' is not made of {', '.join(RESPONSES)}"
    return None, f"'{row['level']}' is not a best-response category"


def recompute_response(ledger, ipd, counts: pd.DataFrame, *, covariates: dict | None = None,
                       min_cell: int = MIN_CELL, **_) -> list[Recomputed]:
    """Response counts and rates (``response.`` rows of ``counts``) against ``best_response``."""
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
    out: list[Recomputed] = []
    if counts.empty:
        return out
    pop = Population(ledger, ipd, covariates)
    check, area = "response_matches_ipd", "efficacy"
    for _, row in counts[counts["quantity"].astype(str).str.startswith("response.")].iterrows():
        item_name = (f"{row['level']} ({row['population']})" if row["population"] != "all"
                     else row["level"])
        if "best_response" not in ipd.columns:
            out.append(_untestable(area, check, item_name, row,
                                   "the data have no best_response column"))
            continue
        parts, why_not = response_parts(row)
        if parts is None:
            out.append(_untestable(area, check, item_name, row, why_not))
            continue
        mask, why = pop.mask(row["population"])
        if mask is None:
            out.append(_untestable(area, check, item_name, row, why))
            continue
        resp = ipd.loc[mask, "best_response"].fillna("").astype(str).str.strip()
        count, n = int(resp.isin(parts).sum()), int(mask.sum())
        rec = Recomputed(area, check, item_name, row,
                         what=f"{'+'.join(parts)}: {show_count(count, min_cell)} of "
                              f"{show_count(n, min_cell)} patients ({why})")
        rec.add("count", row["count"], count, integer=True, hidden=_count_hidden(count, min_cell))
        rec.add("%", row["percent"], _share(count, n),
                hidden=_count_hidden(count, min_cell) or _summary_hidden(n, min_cell))
        out.append(rec)
    return out


def row_ci_method(row, default: str) -> str:
    """The Kaplan-Meier CI type a survival row was printed with: ``conf.type=...`` in its note."""
    m = _CONF_TYPE.search(str(row.get("note", "")))
    return m.group(1) if m else default


def recompute_survival(ledger, ipd, rows: pd.DataFrame, *, covariates: dict | None = None,
                       ci_method: str | None = None, min_cell: int = MIN_CELL,
                       **_) -> list[Recomputed]:
    """Kaplan-Meier medians and CIs (survival rows) against the data (R's rules, ``km_fit``).

    The CI type of a row is ``conf.type=...`` in its note, else the study's ``km_ci_method``
    (study.yaml), else ``ci_method``, else "log" (R's default). Times are converted when the row's
    unit differs from the study's ``time_unit`` (a month is 365.25/12 days)."""
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
    default = str(ledger.meta.get("km_ci_method") or ci_method or "log")
    out: list[Recomputed] = []
    if rows.empty:
        return out
    pop = Population(ledger, ipd, covariates)
    check, area = "survival_matches_ipd", "survival"
    data_unit = str(ledger.meta.get("time_unit", "")).lower()
    for _, row in rows.iterrows():
        ep = row["endpoint"]
        item_name = f"{ep} {row['statistic']}" + (
            "" if row["population"] == "all" else f" ({row['population']})")
        if row["statistic"] != "median":
            out.append(_untestable(area, check, item_name, row,
                                   "the ledger gives no landmark time for a survival rate"))
            continue
        if not has_endpoint(ipd, ep, covariates):
            out.append(_untestable(area, check, item_name, row, f"the data have no {ep} columns"))
            continue
        mask, why = pop.mask(row["population"])
        if mask is None:
            out.append(_untestable(area, check, item_name, row, why))
            continue
        unit = str(row["unit"]).lower()
        if unit != data_unit and not (unit in DAYS_PER_UNIT and data_unit in DAYS_PER_UNIT):
            out.append(_untestable(area, check, item_name, row,
                                   f"cannot convert the data's time unit '{data_unit}' to '{unit}'"))
            continue
        factor = DAYS_PER_UNIT[data_unit] / DAYS_PER_UNIT[unit] if unit != data_unit else 1.0
        method = row_ci_method(row, default)
        level = float(row["ci_level"]) if row.get("ci_level") else 95.0
        tcol, ecol = endpoint_columns(ep, covariates)
        fit = km_fit(ipd.loc[mask, tcol].astype(float) * factor, ipd.loc[mask, ecol],
                     ci_method=method, alpha=1 - level / 100)
        few = _summary_hidden(fit.n, min_cell)
        conv = "" if factor == 1 else f", times converted from {data_unit} to {unit}"
        rec = Recomputed(area, check, item_name, row,
                         what=f"Kaplan-Meier on {show_count(fit.n, min_cell)} patients ({why}), "
                              f"{show_count(fit.events, min_cell)} events, median CI by R's "
                              f"quantile.survfit rule, conf.type={method}{conv}")
        rec.add("n", row["n"], fit.n, integer=True, hidden=_count_hidden(fit.n, min_cell))
        rec.add("median", row["center"], fit.median, hidden=few)
        rec.add("CI low", row["ci_low"], fit.ci_low, hidden=few)
        rec.add("CI high", row["ci_high"], fit.ci_high, hidden=few)
        out.append(rec)
    return out


def _cox_for(ipd, covariates, model, endpoint, variables, references, alpha):
    if model == "univariable":
        return cox_univariable(ipd, covariates, endpoint, references=references,
                               variables=variables, alpha=alpha)
    return cox_multivariable(ipd, covariates, variables, endpoint, references=references,
                             alpha=alpha)


def _some(names: list[str], shown: int = 5) -> str:
    """``a, b, c`` -- or the first ``shown`` names and how many more (a model of thousands of
    variables does not repeat them all in each of its findings)."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown:,} more"


def recompute_cox(ledger, ipd, rows: pd.DataFrame, *, covariates: dict | None = None,
                  min_cell: int = MIN_CELL, **_) -> list[Recomputed]:
    """Hazard ratios, CIs and p (``estimate`` rows) against Cox models refitted on the data: one
    model per variable for ``univariable`` rows, one with every variable of the printed model for
    ``multivariable`` rows (Efron ties, complete cases). Estimates from fewer than ``min_cell``
    patients (in the model, the level or the reference) are not shown."""
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
    hr = ledger.hazard_ratios
    out: list[Recomputed] = []
    if rows.empty:
        return out
    check, area = "cox_matches_ipd", "cox"
    specs = covariate_specs(covariates)
    estimates = rows[rows["role"] == "estimate"]
    for (model, ep), block in estimates.groupby(["model", "endpoint"], sort=False):
        in_model = hr[(hr["model"] == model) & (hr["endpoint"] == ep)
                      & hr["role"].isin(["estimate", "reference"])]
        references = {v: ref for v, ref in zip(in_model["variable"], in_model["reference"]) if ref}
        missing = {v for v in in_model["variable"].unique() if v not in specs
                   or str(specs[v]["column"]) not in ipd.columns}
        groups = (list(block.groupby("variable", sort=False))
                  if model == "univariable" else [(None, block)])
        for var, grp in groups:
            variables = [var] if var is not None else list(in_model["variable"].unique())
            why = None
            if not has_endpoint(ipd, ep, covariates):
                why = f"the data have no {ep} columns"
            elif any(v in missing for v in variables):
                why = ("covariates.yaml maps no patient column for "
                       + _some([v for v in variables if v in missing]))
            fitted = None
            if why is None:
                level = float(grp.iloc[0]["ci_level"]) if grp.iloc[0]["ci_level"] else 95.0
                try:
                    fitted = _cox_for(ipd, covariates, model, ep, variables,
                                      {v: references[v] for v in variables if v in references
                                       and covariate_kind(specs[v]) != "continuous"},
                                      1 - level / 100)
                except Exception as exc:  # noqa: BLE001 -- a model the data cannot fit
                    why = f"the Cox model could not be fitted ({type(exc).__name__}: {exc})"
            for row in records(grp):
                continuous = (row["variable"] in specs
                              and covariate_kind(specs[row["variable"]]) == "continuous")
                item_name = (f"{model} {ep}: {row['variable']} ({row['level']})" if continuous else
                             f"{model} {ep}: {row['variable']} {row['level']} vs {row['reference']}")
                if why is not None:
                    out.append(_untestable(area, check, item_name, row, why))
                    continue
                hit = fitted[fitted["variable"] == row["variable"]]
                if not continuous:
                    hit = hit[hit["level"] == row["level"]]
                if hit.empty:
                    out.append(_untestable(area, check, item_name, row,
                                           f"no patient has level '{row['level']}'"))
                    continue
                h = hit.iloc[0]
                groups_n = [int(h["n"])] + ([] if continuous else
                                            [int(h["n_level"]), int(h["n_reference"])])
                few = _summary_hidden(min(groups_n), min_cell)
                rec = Recomputed(area, check, item_name, row,
                                 what=f"{model} Cox model ({_some(variables)}) on "
                                      f"{show_count(h['n'], min_cell)} patients with "
                                      f"{show_count(h['events'], min_cell)} events")
                rec.add("HR", row["hr"], h["hr"], hidden=few)
                rec.add("CI low", row["ci_low"], h["ci_low"], hidden=few)
                rec.add("CI high", row["ci_high"], h["ci_high"], hidden=few)
                rec.add("p", row["p"], h["p"], hidden=few)
                if not continuous:
                    rec.add("n level", row["n_level"], float(h["n_level"]), integer=True,
                            hidden=_count_hidden(h["n_level"], min_cell))
                    rec.add("n reference", row["n_reference"], float(h["n_reference"]),
                            integer=True, hidden=_count_hidden(h["n_reference"], min_cell))
                out.append(rec)
    return out


def recompute_adverse_events(ledger, ipd, rows: pd.DataFrame, *, min_cell: int = MIN_CELL,
                             **_) -> list[Recomputed]:
    """Adverse-event counts and percentages against the ``ae_`` grades (worst grade per patient)."""
    out: list[Recomputed] = []
    if rows.empty:
        return out
    check, area = "adverse_events_match_ipd", "toxicity"
    cols = ae_columns(ipd)
    for _, row in rows.iterrows():
        item_name = f"{row['event']} ({row['grade_band']})"
        band = row["grade_band"]
        if band not in GRADE_BANDS:
            out.append(_untestable(area, check, item_name, row,
                                   f"grade band '{band}' is not one of {', '.join(GRADE_BANDS)}"))
            continue
        if str(row["event"]).upper() == "ANY" or row["role"] == "total":
            use = cols
        else:
            col = AE_PREFIX + slug(row["event"])
            use = [col] if col in ipd.columns else []
        if not use:
            out.append(_untestable(area, check, item_name, row,
                                   f"the data have no column {AE_PREFIX}{slug(row['event'])}"
                                   if cols else "the data have no adverse-event columns"))
            continue
        count, n = int(band_mask(worst_grade(ipd, use), band).sum()), len(ipd)
        rec = Recomputed(area, check, item_name, row,
                         what=f"{show_count(count, min_cell)} of {show_count(n, min_cell)} "
                              f"patients with worst grade in {band}")
        rec.add("count", row["count"], count, integer=True, hidden=_count_hidden(count, min_cell))
        rec.add("%", row["percent"], _share(count, n),
                hidden=_count_hidden(count, min_cell) or _summary_hidden(n, min_cell))
        out.append(rec)
    return out


AREAS = ("design", "baseline", "efficacy", "survival", "cox", "toxicity")


def recompute(ledger, ipd: pd.DataFrame, areas: Iterable[str] | None = None, *,
              covariates: dict | None = None, ci_method: str | None = None,
              min_cell: int = MIN_CELL) -> list[Recomputed]:
    """Every printed number of the ledger's ``areas`` (default: all of :data:`AREAS`) that the
    patient data can recompute, as :class:`Recomputed` records (whole ledger, no scope)."""
    chosen = list(areas) if areas is not None else list(AREAS)
    unknown = set(chosen) - set(AREAS)
    if unknown:
        raise ValueError(f"unknown area(s) {sorted(unknown)} (known: {', '.join(AREAS)})")
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
    kw = dict(covariates=covariates, ci_method=ci_method, min_cell=min_cell)
    out: list[Recomputed] = []
    for area in chosen:
        if area == "design":
            out += recompute_cohort_size(ledger, ipd, ledger.design, **kw)
        elif area == "baseline":
            out += recompute_baseline(ledger, ipd, ledger.counts, ledger.summaries, **kw)
        elif area == "efficacy":
            out += recompute_response(ledger, ipd, ledger.counts, **kw)
        elif area == "survival":
            out += recompute_survival(ledger, ipd, ledger.survival, **kw)
        elif area == "cox":
            out += recompute_cox(ledger, ipd, ledger.hazard_ratios, **kw)
        else:
            out += recompute_adverse_events(ledger, ipd, ledger.adverse_events, **kw)
    return out


COMPARISON_COLUMNS = ["area", "check", "item", "locator", "row_id", "verdict", "field", "printed",
                      "printed_value", "recomputed", "shown", "agreement", "difference_units"]


def comparison_table(ledger, ipd: pd.DataFrame, areas: Iterable[str] | None = None, *,
                     rule_for: Callable[[str], str] | None = None, covariates: dict | None = None,
                     ci_method: str | None = None, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Field by field, each printed number, the value recomputed from the data and their
    difference in units of the last printed digit (within +-0.5 it prints the same).

    ``rule_for(locator)`` gives the rounding rule of a place (a study's
    :class:`helpers.checks.policy.RoundingPolicy` ``.rule_for``; default half up). Values hidden by
    disclosure control have ``recomputed`` and ``difference_units`` NaN and ``shown`` says why.
    ``verdict`` is ``consistent`` when every field of the row matches, else ``inconsistent``. Rows
    that cannot be tested have nothing to compare and are absent.
    """
    rule_for = rule_for or (lambda locator: "half_up")
    rows = []
    for rec in recompute(ledger, ipd, areas, covariates=covariates, ci_method=ci_method,
                         min_cell=min_cell):
        if rec.untestable or not rec.fields:
            continue
        rule = rule_for(rec.row["locator"])
        states = [f.agreement(rule) for f in rec.fields]
        verdict = "consistent" if all(s == "match" for s in states) else "inconsistent"
        for f, state in zip(rec.fields, states):
            p = parse_printed(f.printed)
            rows.append({"area": rec.area, "check": rec.check, "item": rec.item,
                         "locator": rec.row["locator"], "row_id": rec.row["row_id"],
                         "verdict": verdict, "field": f.name, "printed": f.printed,
                         "printed_value": p.value,
                         "recomputed": (np.nan if f.hidden or not _finite(f.value)
                                        else float(f.value)),
                         "shown": f.shown(rule), "agreement": state,
                         "difference_units": f.difference_units()})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# ------------------------------------------------------------------------------------------------
# Kaplan-Meier curves for figures, and Cox tables
# ------------------------------------------------------------------------------------------------

KM_CURVE_COLUMNS = ["endpoint", "time", "survival", "lower", "upper"]


def km_curves(data: pd.DataFrame, ci_method: str = "log", covariates: dict | None = None,
              endpoints: Iterable[str] | None = None, alpha: float = 0.05, *,
              grid: float | None = None, time_unit: str | None = None,
              min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Kaplan-Meier step curves with their pointwise band, per endpoint, for a figure.

    Disclosure control: times are coarsened to multiples of ``grid`` (default
    :func:`helpers.cohort.disclosure.default_grid` of ``time_unit``: one time unit, never finer
    than a month) before the fit, and each curve stops before the first step with fewer than
    ``min_cell`` patients at risk; an endpoint with fewer than ``min_cell`` patients has no curve.
    Each curve starts at (0, 1). ``attrs["grid"]`` holds the grid used.
    """
    grid = float(grid) if grid else default_grid(time_unit)
    parts = []
    for ep in (endpoints or ("PFS", "OS")):
        if not has_endpoint(data, ep, covariates):
            continue
        t, e = endpoint_columns(ep, covariates)
        keep = data[t].notna() & data[e].notna()
        if too_few(int(keep.sum()), min_cell) or not keep.any():
            continue
        times = coarsen(data.loc[keep, t], grid)
        c = cut_at_risk(km_fit(times, data.loc[keep, e], ci_method=ci_method, alpha=alpha).curve,
                        min_cell)
        start = pd.DataFrame({"time": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0]})
        parts.append(pd.concat([start, c[["time", "survival", "lower", "upper"]]],
                               ignore_index=True).assign(endpoint=ep))
    out = (pd.concat(parts, ignore_index=True)[KM_CURVE_COLUMNS] if parts
           else pd.DataFrame(columns=KM_CURVE_COLUMNS))
    out.attrs["grid"] = grid
    return out


_COX_COUNTS = ("n", "events", "n_level", "n_reference", "events_level", "events_reference")
_COX_ESTIMATES = ("coef", "se", "hr", "ci_low", "ci_high", "z", "p")


def suppress_cox(table: pd.DataFrame, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """A Cox table with counts below ``min_cell`` as ``<NA>`` and the estimates of a coefficient
    whose model, level or reference holds fewer than ``min_cell`` patients as NaN (``note`` says
    which)."""
    out = table.copy()
    if out.empty:
        out["note"] = pd.Series(dtype=object)
        return out
    sizes = out[["n", "n_level", "n_reference"]].apply(pd.to_numeric, errors="coerce")
    few = sizes.apply(lambda r: any(is_small(v, min_cell) for v in r if pd.notna(v)), axis=1)
    for col in _COX_COUNTS:
        v = pd.to_numeric(out[col], errors="coerce")
        out[col] = v.astype("Int64").mask([is_small(x, min_cell) for x in v])
    for col in _COX_ESTIMATES:
        out[col] = pd.to_numeric(out[col], errors="coerce").mask(few)
    out["note"] = np.where(few, suppression_note(min_cell), "")
    return out


def cox_tables(ledger, ipd: pd.DataFrame, covariates: dict | None = None,
               alpha: float = 0.05, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Cox models refitted on the data, for every endpoint the data have: one univariable model per
    covariate whose column the data have, and the multivariable model with the variables the ledger
    prints for it (when all of them are in the data). Reference levels as printed in
    hazard_ratios.csv. Small groups suppressed (:func:`suppress_cox`). Models the data cannot fit
    are listed in ``.attrs["skipped"]``."""
    covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
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
            except Exception as exc:  # noqa: BLE001 -- e.g. a printed reference the data lack
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
                except Exception as exc:  # noqa: BLE001
                    skipped.append(f"multivariable {ep}: {type(exc).__name__}: {exc}")
    out = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COX_COLUMNS))
    out = suppress_cox(out, min_cell)
    out.attrs["skipped"] = skipped
    return out


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
        covariates = covariates if covariates is not None else covariates_for(ledger, ipd)
        counts = ledger.counts
        if not counts.empty:
            rows = counts[counts["quantity"].str.startswith("baseline.") & (counts["role"] == "level")]
            for var, r in rows.groupby("variable", sort=False):
                plan.append((var, "categorical", resolve_variable(var, covariates, ipd),
                             r["level"].unique().tolist(), "n_percent", _decimals(r["percent"])))
        summ = ledger.summaries
        if not summ.empty:
            rows = summ[summ["quantity"].str.startswith("baseline.")]
            for var, r in rows.groupby("variable", sort=False):
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
        extra = [c for c in ipd.columns if c not in RESERVED and not str(c).startswith(AE_PREFIX)]
    for col in extra:
        numeric = pd.api.types.is_numeric_dtype(ipd[col])
        plan.append((col, "continuous" if numeric else "categorical", {"column": col}, None,
                     "mean_sd" if numeric else "n_percent", 1))
    return plan, covariates


_CELL_COUNT = re.compile(r"^\s*(\d+)\s*\(")


def _suppress_tableone(table, plan, frame: pd.DataFrame, min_cell: int) -> None:
    """Disclosure control on a ``tableone.TableOne`` (in place): ``n (%)`` cells of fewer than
    ``min_cell`` patients and small ``Missing`` counts become ``<10``; a continuous variable with
    fewer than ``min_cell`` values is suppressed."""
    t = table.tableone
    small = small_text(min_cell)
    kinds = {p[0]: p[1] for p in plan}
    for idx in t.index:
        label = str(idx[0] if isinstance(idx, tuple) else idx)
        var = label.rsplit(", ", 1)[0]
        for col in t.columns:
            name = col[-1] if isinstance(col, tuple) else col
            text = str(t.at[idx, col]).strip()
            if name == "Missing":
                if text and text.isdigit() and is_small(int(text), min_cell) and int(text) > 0:
                    t.at[idx, col] = small
                continue
            if kinds.get(var) == "categorical":
                m = _CELL_COUNT.match(text)
                if m and is_small(int(m.group(1)), min_cell):
                    t.at[idx, col] = small
            elif kinds.get(var) == "continuous" and var in frame.columns:
                if too_few(int(frame[var].notna().sum()), min_cell):
                    t.at[idx, col] = suppression_note(min_cell)
            elif label == "n" and text.isdigit() and is_small(int(text), min_cell):
                t.at[idx, col] = small


def baseline_tableone(ipd: pd.DataFrame, ledger=None, covariates: dict | None = None,
                      min_cell: int = MIN_CELL):
    """The baseline table of the patient data as a ``tableone.TableOne``: the ledger's baseline
    variables (levels in the ledger's order, percentages and means at the printed number of
    decimals; median [Q1,Q3] where the paper prints a median -- a range would show two patients'
    values), or every covariate without a ledger. Small cells suppressed
    (:mod:`helpers.cohort.disclosure`). Returns ``(TableOne or None, plan)``."""
    from tableone import TableOne

    plan, _ = _baseline_plan(ipd, ledger, covariates)
    frame = pd.DataFrame(index=ipd.index)
    categorical, nonnormal, decimals, order = [], [], {}, {}
    for var, kind, item, levels, stat, dec in plan:
        if item is None:
            continue
        if kind == "categorical":
            lv = level_series(ipd, item, var, levels=levels)
            frame[var] = lv.astype(object)
            categorical.append(var)
            wanted = levels or [str(v) for v in (item.get("levels") or [])] or sorted_levels(lv)
            present = [x for x in wanted if (lv == x).any()]
            present += [x for x in sorted_levels(lv) if x not in present]
            order[var] = present
        else:
            frame[var] = pd.to_numeric(ipd[str(item["column"])], errors="coerce")
            if stat.startswith("median"):
                nonnormal.append(var)
        decimals[var] = dec
    if frame.shape[1] == 0:
        return None, plan
    table = TableOne(frame, columns=list(frame.columns), categorical=categorical or None,
                     nonnormal=nonnormal or None, decimals=decimals, order=order or None,
                     missing=True)
    _suppress_tableone(table, plan, frame, min_cell)
    return table, plan


class _TableOneCells:
    """The ``Overall`` cells of a ``tableone.TableOne``, looked up by variable and level (the
    table is read once; a lookup is a dictionary access)."""

    def __init__(self, table):
        self.first: dict[str, str] = {}
        self.cells: dict[tuple[str, str], str] = {}
        t = table.tableone if table is not None else None
        col = [] if t is None else [c for c in t.columns
                                    if (c[-1] if isinstance(c, tuple) else c) == "Overall"]
        if not col:
            return
        for (label, lvl), value in t[col[0]].items():
            var = str(label).rsplit(", ", 1)[0] if ", " in str(label) else None
            if var is None:
                continue
            text = str(value).strip()
            self.first.setdefault(var, text)
            self.cells.setdefault((var, str(lvl)), text)

    def __call__(self, variable: str, level: str = "") -> str:
        if level == "":
            return self.first.get(variable, "")
        return self.cells.get((variable, str(level)), "")


def patient_baseline_table(ipd: pd.DataFrame, ledger=None, covariates: dict | None = None,
                           min_cell: int = MIN_CELL) -> pd.DataFrame:
    """The baseline table computed from the patient data with ``tableone``, set beside the ledger.

    With a ledger: one row per baseline row of counts.csv / summaries.csv (quantity ``baseline.``)
    with the printed text and the tableone cell (``n (%)``, ``mean (SD)``, ``median [Q1,Q3]``) at
    the printed precision; ``ipd`` is empty where the data have no such variable. Without a ledger:
    the tableone rows of every covariate. Aggregates only, small cells suppressed.
    """
    table, plan = baseline_tableone(ipd, ledger, covariates, min_cell)
    cells = _TableOneCells(table)
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
                                 "ipd": cells(var, level[1]),
                                 "ipd_n": show_count(len(ipd), min_cell), "column": item["column"]})
            else:
                x = pd.to_numeric(ipd[str(item["column"])], errors="coerce")
                rows.append({"variable": var, "level": "", "statistic": stat,
                             "ipd": cells(var),
                             "ipd_n": show_count(int(x.notna().sum()), min_cell),
                             "column": item["column"]})
        return pd.DataFrame(rows).reindex(columns=BASELINE_COLUMNS).fillna("")
    by_var = {p[0]: p for p in plan}
    counts = ledger.counts
    if not counts.empty:
        for r in counts[counts["quantity"].str.startswith("baseline.")].to_dict("records"):
            var, kind, item, levels, stat, dec = by_var.get(r["variable"],
                                                            (r["variable"], "", None, None, "", 1))
            cell = cells(var, r["level"]) if (table is not None and item) else ""
            rows.append({"row_id": r["row_id"], "variable": var, "level": r["level"],
                         "statistic": "n_percent", "printed": r["printed"], "ipd": cell,
                         "ipd_n": show_count(len(ipd), min_cell) if item else "",
                         "column": item["column"] if item else "",
                         "locator": r["locator"], "source": r["source"]})
    summ = ledger.summaries
    if not summ.empty:
        for r in summ[summ["quantity"].str.startswith("baseline.")].to_dict("records"):
            var, kind, item, levels, stat, dec = by_var.get(r["variable"],
                                                            (r["variable"], "", None, None, "", 1))
            cell = cells(var) if (table is not None and item) else ""
            n = (show_count(int(pd.to_numeric(ipd[str(item["column"])], errors="coerce")
                                .notna().sum()), min_cell) if item else "")
            rows.append({"row_id": r["row_id"], "variable": var, "level": "",
                         "statistic": r["statistic"], "printed": r["printed"], "ipd": cell,
                         "ipd_n": n, "column": item["column"] if item else "",
                         "locator": r["locator"], "source": r["source"]})
    return pd.DataFrame(rows).reindex(columns=BASELINE_COLUMNS).fillna("")


__all__ = [
    "RATE_COLUMNS", "AE_COLUMNS", "RATES", "GRADE_BANDS", "AREAS", "COMPARISON_COLUMNS",
    "BASELINE_COLUMNS", "KM_CURVE_COLUMNS", "EXTREME", "exact_ci", "response_rates",
    "adverse_event_rates", "ae_columns", "band_mask", "worst_grade", "resolve_variable",
    "covariates_for", "Population", "sorted_levels", "field_agreement", "Field", "Recomputed",
    "response_parts", "row_ci_method", "recompute_cohort_size", "recompute_baseline",
    "recompute_response", "recompute_survival", "recompute_cox", "recompute_adverse_events",
    "recompute", "comparison_table", "km_curves", "suppress_cox", "cox_tables",
    "baseline_tableone", "patient_baseline_table",
]
