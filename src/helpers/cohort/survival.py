"""Patient-level survival analyses: Kaplan-Meier medians and Cox models, as R computes them.

Kaplan-Meier (:func:`km_fit`, :func:`km_summary`)
    The curve is lifelines' ``KaplanMeierFitter``. Its pointwise 95% band is built from Greenwood's
    variance of the cumulative hazard, ``se(t)^2 = sum_{t_i <= t} d_i / (n_i (n_i - d_i))``
    (Greenwood 1926; Kalbfleisch & Prentice 2002, sec. 1.4), in one of R ``survfit``'s three forms,
    with ``z = Phi^{-1}(1 - alpha/2)``:

    * ``"log"`` (R's default ``conf.type``): ``S exp(-+ z se)``, upper limit capped at 1;
    * ``"log-log"`` (lifelines' default, "exponential Greenwood"; Kalbfleisch & Prentice 2002):
      ``S^exp(+- z se / log S)``;
    * ``"plain"``: ``S (1 -+ z se)``, clipped to [0, 1].

    The median and its CI follow R's ``quantile.survfit`` (Brookmeyer & Crowley 1982, Biometrics
    38:29-41; Therneau, survival package): the median is the first time the curve reaches 0.5, the CI
    limits are the first times the lower and upper bands reach 0.5. If a curve sits at exactly 0.5
    (within ``sqrt(machine eps)``) over a stretch, the midpoint of that stretch is returned, and if it
    ends at exactly 0.5 the midpoint between that time and the last follow-up time. A curve that never
    reaches 0.5 gives ``nan`` (not reached). lifelines' own ``median_survival_time_`` differs only on
    such flat stretches (it returns their start).

Cox (:func:`cox_univariable`, :func:`cox_multivariable`)
    lifelines ``CoxPHFitter`` (Efron ties, as R ``coxph``), Wald CI ``exp(b -+ z se)`` and
    two-sided Wald p (Cox 1972). Covariates come from the study's ``covariates.yaml``
    (see :func:`design_matrix`). Patients with a missing value in any covariate of a model are left
    out of that model (complete-case analysis, as R's default ``na.action = na.omit``); ``n`` and
    ``events`` in the result say how many were used.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..core.errors import PatientDataError
from .disclosure import MIN_CELL, is_small, suppression_note, too_few
from .ipd import SURVIVAL_PAIRS
from ..run.params import KM_CI_METHODS   # the one definition: the notebooks' ci_method choices

# level names that mean "value missing" in a ledger's baseline table: the one definition
# (helpers.cohort.synthetic and helpers.cohort.tables import it from here)
MISSING_LEVELS = ("missing", "unknown", "not available", "na", "n/a")
_R_TOL = float(np.sqrt(np.finfo(float).eps))  # R: sqrt(.Machine$double.eps)


# ------------------------------------------------------------------------------------------------
# Kaplan-Meier
# ------------------------------------------------------------------------------------------------

@dataclass
class KMResult:
    """A Kaplan-Meier fit with R-style median and CI (see the module docstring)."""

    median: float
    ci_low: float
    ci_high: float
    ci_method: str
    alpha: float
    n: int
    events: int
    curve: pd.DataFrame = field(repr=False)  # time, n_risk, n_event, survival, std_err, lower, upper

    def survival_at(self, t: float) -> tuple[float, float, float]:
        """(survival, lower, upper) at time ``t`` (the step value, as R ``summary(fit, times=t)``);
        ``nan`` beyond the last follow-up time."""
        c = self.curve
        if len(c) == 0 or t > c["time"].iloc[-1]:
            return (np.nan, np.nan, np.nan)
        before = c[c["time"] <= t]
        if before.empty:
            return (1.0, 1.0, 1.0)
        row = before.iloc[-1]
        return (float(row["survival"]), float(row["lower"]), float(row["upper"]))


def km_bands(surv: np.ndarray, std_err: np.ndarray, ci_method: str = "log",
             alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits of a survival curve as R ``survfit`` computes them (``conf.type``): the one
    Kaplan-Meier band of the package (:func:`km_fit` and the batched
    :func:`helpers.cohort.montecarlo.km_median_batch` both call it).

    ``surv`` and ``std_err`` (the standard error of the cumulative hazard, Greenwood) may be arrays
    of any shape (one curve, or a batch of curves in rows).

    At S = 0 and S = 1 the decision is R's (``survival:::survfit_confint``), not a convention of
    ours: a limit that is undefined there is ``nan``, as R's ``NA`` --

    * ``"log"``: both limits are ``nan`` at S = 0 (log 0); at S = 1 the band is [S exp(-z se), 1];
    * ``"log-log"``: both limits are ``nan`` at S = 0 and at S = 1 (log(-log S) is undefined);
    * ``"plain"``: S (1 -+ z se) clipped to [0, 1]; at S = 0 after a step where everyone at risk
      died the Greenwood SE is infinite and the limits are ``nan`` (0 x inf), as in R.

    A ``nan`` limit never counts as reaching 1/2 when the median's CI is read off the band (R's
    ``quantile.survfit`` drops ``NA``), so a CI limit the band never reaches stays ``nan``
    ("not reached"). Tested against R in ``tests/test_r_reference.py`` (toy curves that end at
    S = 0: ``toy_flat``) and ``tests/test_survival_bands.py``.
    """
    if ci_method not in KM_CI_METHODS:
        raise ValueError(f"ci_method {ci_method!r} is not one of {list(KM_CI_METHODS)}")
    s = np.asarray(surv, dtype=float)
    se = np.asarray(std_err, dtype=float)
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ci_method == "plain":
            half = z * se * s
            lower = np.maximum(s - half, 0.0)
            upper = np.minimum(s + half, 1.0)
        elif ci_method == "log":
            xs = np.where(s == 0, np.nan, s)
            lower = xs * np.exp(-z * se)
            upper = np.minimum(xs * np.exp(z * se), 1.0)
        else:  # log-log
            xs = np.where((s == 0) | (s == 1), np.nan, s)
            shift = z * se / np.log(xs)
            loglog = np.log(-np.log(xs))
            lower = np.exp(-np.exp(loglog - shift))
            upper = np.exp(-np.exp(loglog + shift))
    return lower, upper


def first_time_at(times: Sequence[float], cdf: Sequence[float], p: float = 0.5,
                  last_time: float | None = None, tol: float = _R_TOL) -> float:
    """The time a distribution function first reaches ``p``, by the rule of R ``quantile.survfit``.

    ``times`` start with the origin (``cdf`` 0 there). Repeated ``cdf`` values (censoring times) and
    ``nan`` are dropped; the answer is the first time with ``cdf >= p``; if ``cdf`` equals ``p``
    within ``tol`` at some time, the midpoint between that time and the next one (or ``last_time``
    when it is the last) is returned. ``nan`` when ``cdf`` never reaches ``p``.
    """
    x = np.asarray(times, dtype=float)
    y = np.asarray(cdf, dtype=float)
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return float("nan")
    xmax = x[-1] if last_time is None else float(last_time)
    keep = ~pd.Series(y).duplicated(keep="first").to_numpy()   # NaN counts as a value, as in R
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    idx = np.flatnonzero(ok)

    def first_at_or_above(shift: float) -> int | None:
        hit = idx[(y[idx] + shift) >= p]
        return int(hit[0]) if hit.size else None

    i1 = first_at_or_above(tol)
    i2 = first_at_or_above(-tol)
    if p == 0:
        return float(x[0])
    if i1 is None:
        return float("nan")
    last = idx[-1] if idx.size else None
    if last is not None and abs(p - y[last]) < tol:   # the curve ends exactly at p
        return float((x[i1] + xmax) / 2)
    if i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2)


def km_fit(time, event, ci_method: str = "log", alpha: float = 0.05) -> KMResult:
    """Kaplan-Meier curve, median and median CI, matching R ``survfit`` + ``quantile.survfit``.

    ``ci_method``: "log" (R's default), "log-log" (lifelines' default) or "plain".
    """
    from lifelines import KaplanMeierFitter

    if ci_method not in KM_CI_METHODS:
        raise ValueError(f"ci_method {ci_method!r} is not one of {list(KM_CI_METHODS)}")
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    if t.size == 0:
        raise ValueError("km_fit needs at least one patient")
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e)
    table = kmf.event_table
    table = table[table["removed"] > 0]               # R's time points: every observed time
    times = table.index.to_numpy(dtype=float)
    n_risk = table["at_risk"].to_numpy(dtype=float)
    d = table["observed"].to_numpy(dtype=float)
    surv = kmf.survival_function_.iloc[:, 0].reindex(times).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    std_err = np.sqrt(np.cumsum(terms))
    lower, upper = km_bands(surv, std_err, ci_method, alpha)
    curve = pd.DataFrame({"time": times, "n_risk": n_risk.astype(int), "n_event": d.astype(int),
                          "survival": surv, "std_err": std_err, "lower": lower, "upper": upper})
    origin = np.r_[0.0, times]
    last = float(times[-1])
    median = first_time_at(origin, np.r_[0.0, 1 - surv], 0.5, last)
    ci_low = first_time_at(origin, np.r_[0.0, 1 - lower], 0.5, last)
    ci_high = first_time_at(origin, np.r_[0.0, 1 - upper], 0.5, last)
    return KMResult(median=median, ci_low=ci_low, ci_high=ci_high, ci_method=ci_method,
                    alpha=alpha, n=int(t.size), events=int(e.sum()), curve=curve)


def endpoint_columns(endpoint: str, covariates_spec: dict | None = None) -> tuple[str, str]:
    """The (time, event) columns of an endpoint: ``endpoint_columns`` of covariates.yaml, else the
    schema's defaults (``os_time``/``os_event``, ``pfs_time``/``pfs_event``)."""
    spec = covariates_spec or {}
    cols = (spec.get("endpoint_columns") or {}).get(endpoint)
    if cols:
        return str(cols[0]), str(cols[1])
    if endpoint not in SURVIVAL_PAIRS:
        raise ValueError(f"unknown endpoint {endpoint!r} (known: {', '.join(SURVIVAL_PAIRS)})")
    return SURVIVAL_PAIRS[endpoint]


def has_endpoint(ipd: pd.DataFrame, endpoint: str, covariates_spec: dict | None = None) -> bool:
    try:
        t, e = endpoint_columns(endpoint, covariates_spec)
    except ValueError:
        return False
    return t in ipd.columns and e in ipd.columns


def km_summary(ipd: pd.DataFrame, endpoints: Iterable[str] | None = None, ci_method: str = "log",
               alpha: float = 0.05, covariates_spec: dict | None = None,
               min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Median survival with CI per endpoint the patient data has (aggregates only).

    Disclosure control (:mod:`helpers.cohort.disclosure`): an endpoint with fewer than
    ``min_cell`` patients has its median and CI suppressed (NaN, ``note`` says so), and counts
    (``n``, ``events``) below ``min_cell`` are ``<NA>``.
    """
    endpoints = list(endpoints) if endpoints is not None else list(SURVIVAL_PAIRS)
    rows = []
    for ep in endpoints:
        if not has_endpoint(ipd, ep, covariates_spec):
            continue
        t, e = endpoint_columns(ep, covariates_spec)
        fit = km_fit(ipd[t], ipd[e], ci_method=ci_method, alpha=alpha)
        few = too_few(fit.n, min_cell)
        rows.append({"endpoint": ep, "n": pd.NA if few else fit.n,
                     "events": pd.NA if is_small(fit.events, min_cell) else fit.events,
                     "median": np.nan if few else fit.median,
                     "ci_low": np.nan if few else fit.ci_low,
                     "ci_high": np.nan if few else fit.ci_high, "ci_method": ci_method,
                     "note": suppression_note(min_cell) if few else ""})
    out = pd.DataFrame(rows, columns=["endpoint", "n", "events", "median", "ci_low", "ci_high",
                                      "ci_method", "note"])
    for col in ("n", "events"):
        out[col] = out[col].astype("Int64")
    return out


# ------------------------------------------------------------------------------------------------
# covariates.yaml -> design matrix
# ------------------------------------------------------------------------------------------------

def covariate_specs(covariates_spec: dict | None) -> dict[str, dict]:
    """The ``covariates`` mapping of a covariates.yaml (accepts the whole file or the mapping)."""
    spec = covariates_spec or {}
    if isinstance(spec.get("covariates"), dict):
        return dict(spec["covariates"])
    return {k: v for k, v in spec.items() if isinstance(v, dict) and "column" in v}


def covariate_kind(item: dict) -> str:
    """``continuous`` (``type: continuous``, no cut), ``cut`` (numeric split at ``cut``) or
    ``categorical`` (the column's values, or ``values``-mapped, are the level names)."""
    if "cut" in item:
        return "cut"
    if str(item.get("type", "")).lower() == "continuous":
        return "continuous"
    return "categorical"


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


def _level_text(value) -> str:
    """A raw value as a level name: whole numbers without ``.0``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _require_column(ipd: pd.DataFrame, column: str, variable: str) -> None:
    if column not in ipd.columns:
        raise PatientDataError(ipd.attrs.get("file", "<patient data>"),
                               f"missing column needed for '{variable}' (covariates.yaml)",
                               field=column)


def _numeric(ipd: pd.DataFrame, column: str, variable: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(ipd[column]) and not pd.api.types.is_bool_dtype(ipd[column]):
        return ipd[column].astype(float)          # already numbers (a validated patient file)
    values = pd.to_numeric(ipd[column].replace("", np.nan), errors="coerce")
    bad = values.isna() & ipd[column].notna() & (ipd[column].astype(str).str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise PatientDataError(ipd.attrs.get("file", "<patient data>"),
                               f"'{ipd[column].iloc[i]}' is not a number (needed for '{variable}')",
                               line=i + 2, field=column)
    return values.astype(float)


def level_series(ipd: pd.DataFrame, item: dict, variable: str = "",
                 levels: Sequence[str] | None = None) -> pd.Series:
    """A covariate as level names (``nan`` where missing).

    Cut items give ``below``/``above``; otherwise the column's values, mapped through the optional
    ``values`` mapping of covariates.yaml. When ``levels`` (e.g. the ledger's) are given, numeric
    values are matched to numeric level names ("0" matches 0.0), and a level named like
    "Missing"/"Unknown" collects the missing values.
    """
    column = str(item["column"])
    _require_column(ipd, column, variable or column)
    if "cut" in item:
        x = _numeric(ipd, column, variable or column)
        out = pd.Series(np.where(x < float(item["cut"]), str(item["below"]), str(item["above"])),
                        index=ipd.index, dtype=object)
        out[x.isna()] = np.nan
    else:
        mapping = {str(k): str(v) for k, v in (item.get("values") or {}).items()}
        numeric_levels = {}
        for lv in levels or ():
            try:
                numeric_levels[float(lv)] = str(lv)
            except (TypeError, ValueError):
                pass

        def name(v):
            if _is_missing(v):
                return np.nan
            text = mapping.get(_level_text(v), _level_text(v))
            try:
                return numeric_levels.get(float(text), text)
            except ValueError:
                return text

        # each distinct value named once (a large file holds few distinct values per column)
        codes, uniques = pd.factorize(ipd[column], use_na_sentinel=True)
        names = np.array([name(v) for v in uniques] + [np.nan], dtype=object)
        out = pd.Series(names[codes], index=ipd.index, dtype=object)   # code -1: the nan at the end
    if levels:
        miss = [lv for lv in levels if str(lv).strip().lower() in MISSING_LEVELS]
        if miss:
            out = out.where(out.notna(), miss[0])
    return out


def _ordered_levels(item: dict, observed: pd.Series) -> list[str]:
    if "cut" in item:
        return [str(item["below"]), str(item["above"])]
    if item.get("levels"):
        return [str(v) for v in item["levels"]]
    values = observed.dropna().unique().tolist()
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values, key=str)


class Design(NamedTuple):
    """A design matrix and what each column is."""

    matrix: pd.DataFrame   # one column per coefficient; nan where the covariate is missing
    columns: pd.DataFrame  # column, variable, level, reference, kind, scale


def design_matrix(ipd: pd.DataFrame, covariates_spec: dict, variables: Sequence[str] | None = None,
                  references: dict[str, str] | None = None) -> Design:
    """Model columns for the chosen covariates of covariates.yaml.

    Categorical and cut covariates give one 0/1 column per level except the reference level (the
    ``reference`` of hazard_ratios.csv when given in ``references``, else the first of ``levels``,
    ``below``, or the sorted values). ``type: continuous`` covariates enter as
    ``column / scale`` (``scale`` defaults to 1) and are described by their ``level`` text
    (e.g. "per 10 years").
    """
    specs = covariate_specs(covariates_spec)
    references = references or {}
    variables = list(variables) if variables is not None else list(specs)
    cols: dict[str, pd.Series] = {}
    desc = []
    for var in variables:
        if var not in specs:
            raise KeyError(f"covariate '{var}' is not in covariates.yaml (known: {', '.join(specs)})")
        item = specs[var]
        kind = covariate_kind(item)
        if kind == "continuous":
            scale = float(item.get("scale", 1) or 1)
            x = _numeric(ipd, str(item["column"]), var) / scale
            name = var
            cols[name] = x
            desc.append({"column": name, "variable": var,
                         "level": str(item.get("level", "per unit" if scale == 1 else f"per {scale:g} units")),
                         "reference": "", "kind": kind, "scale": scale})
            continue
        lv = level_series(ipd, item, var)
        levels = _ordered_levels(item, lv)
        observed = set(lv.dropna().unique())
        ref = str(references.get(var) or next((x for x in levels if x in observed), levels[0]))
        if ref not in observed:
            raise ValueError(f"reference level '{ref}' of '{var}' has no patients in the data "
                             f"(levels seen: {', '.join(map(str, sorted(observed, key=str)))})")
        extra = sorted(observed - set(levels), key=str)
        for level in [x for x in levels if x in observed] + extra:
            if level == ref:
                continue
            name = f"{var}: {level}"
            cols[name] = (lv == level).astype(float).where(lv.notna())
            desc.append({"column": name, "variable": var, "level": level, "reference": ref,
                         "kind": kind, "scale": np.nan})
    matrix = pd.DataFrame(cols, index=ipd.index)
    return Design(matrix, pd.DataFrame(desc, columns=["column", "variable", "level", "reference",
                                                      "kind", "scale"]))


def references_from_ledger(ledger, endpoint: str | None = None) -> dict[str, str]:
    """variable -> reference level, from the ledger's hazard_ratios.csv (estimate/reference rows)."""
    hr = ledger.hazard_ratios
    if hr.empty:
        return {}
    rows = hr[hr["role"].isin(["estimate", "reference"])]
    if endpoint is not None:
        rows = rows[rows["endpoint"] == endpoint]
    out: dict[str, str] = {}
    for _, r in rows.iterrows():
        if r["reference"] and r["variable"] not in out:
            out[r["variable"]] = r["reference"]
    return out


# ------------------------------------------------------------------------------------------------
# Cox models
# ------------------------------------------------------------------------------------------------

COX_COLUMNS = ["model", "endpoint", "variable", "level", "reference", "coef", "se", "hr", "ci_low",
               "ci_high", "z", "p", "n", "events", "n_level", "n_reference", "events_level",
               "events_reference", "loglik"]


def _cox_fit(data: pd.DataFrame, alpha: float):
    """lifelines CoxPHFitter (Efron) converged tightly: full Newton steps first (as R ``coxph``),
    lifelines' damped default if those fail."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    tight = {"step_size": 1.0, "precision": 1e-14, "r_precision": 1e-16, "max_steps": 100}
    for options in (tight, None):
        try:
            return CoxPHFitter(alpha=alpha).fit(data, duration_col="_time", event_col="_event",
                                                fit_options=options)
        except ConvergenceError:
            if options is None:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# Fitted models by content: a notebook asks for the same model several times (the table of refitted
# models, then the checks that compare it with the printed HRs and with the statements); on a
# large patient file each lifelines fit takes seconds, so each model is fitted once per kernel.
_COX_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()
_COX_CACHE_SIZE = 256
COX_FITS = {"fitted": 0, "reused": 0}   # counters, for tests and the benchmark


def _content_key(data: pd.DataFrame) -> tuple:
    """A key that changes when any value, column name or row order of ``data`` changes. (Not
    the CI level: the cached estimates do not depend on it; callers build the CI from coef and
    se, and a check asking at ``1 - 95/100`` = 0.050000000000000044 reuses the 0.05 fit.)"""
    hashed = pd.util.hash_pandas_object(data, index=False).to_numpy()
    digest = hashlib.blake2b(hashed.tobytes(), digest_size=16).hexdigest()
    return (digest, tuple(data.columns), tuple(str(t) for t in data.dtypes), len(data))


def _cox_estimates(used: pd.DataFrame, alpha: float) -> tuple:
    """(coef, se, z, p, loglik) of the Cox model of ``used`` (columns ``x*``, ``_time``,
    ``_event``), fitted by lifelines once per distinct content (see ``_COX_CACHE``)."""
    key = _content_key(used)
    hit = _COX_CACHE.get(key)
    if hit is not None:
        _COX_CACHE.move_to_end(key)
        COX_FITS["reused"] += 1
        return hit
    out = _cox_batch_estimates(used)
    if out is None:                      # not converged there: lifelines, damped if need be
        cph = _cox_fit(used, alpha)
        summary = cph.summary
        out = ({k: float(v) for k, v in cph.params_.items()},
               {k: float(v) for k, v in cph.standard_errors_.items()},
               {k: float(v) for k, v in summary["z"].items()},
               {k: float(v) for k, v in summary["p"].items()},
               float(cph.log_likelihood_))
    COX_FITS["fitted"] += 1
    _COX_CACHE[key] = out
    while len(_COX_CACHE) > _COX_CACHE_SIZE:
        _COX_CACHE.popitem(last=False)
    return out


def _cox_batch_estimates(used: pd.DataFrame) -> tuple | None:
    """The same estimates from :func:`helpers.cohort.coxbatch.fit_cox` (Efron ties, Newton to
    1e-9, covariates centred; sorts once, so it is O(n log n) where lifelines' Efron loop is slow on large files);
    None when it does not converge or the data have no events."""
    from .coxbatch import fit_cox

    names = [c for c in used.columns if c not in ("_time", "_event")]
    if not len(used) or not names or not used["_event"].any():
        return None
    try:
        X = used[names].to_numpy(float)
        res = fit_cox(used["_time"].to_numpy(float), used["_event"].to_numpy(float),
                      X - X.mean(axis=0), tol=1e-9, max_iter=100)   # centred: same coef, se
    except ValueError:
        return None
    coef, se = res.coef[0], res.se[0]
    if not bool(res.converged[0]) or not np.all(np.isfinite(se)) or np.any(se <= 0):
        return None
    z = coef / se
    p = 2.0 * norm.sf(np.abs(z))
    return ({n: float(v) for n, v in zip(names, coef)}, {n: float(v) for n, v in zip(names, se)},
            {n: float(v) for n, v in zip(names, z)}, {n: float(v) for n, v in zip(names, p)},
            float(res.loglik[0]))


def clear_cox_cache() -> None:
    _COX_CACHE.clear()
    COX_FITS.update(fitted=0, reused=0)


def _fit_cox(ipd: pd.DataFrame, covariates_spec: dict, variables: Sequence[str], endpoint: str,
             references: dict | None, alpha: float, model: str) -> pd.DataFrame:
    tcol, ecol = endpoint_columns(endpoint, covariates_spec)
    for col in (tcol, ecol):
        _require_column(ipd, col, endpoint)
    design = design_matrix(ipd, covariates_spec, variables, references)
    names = [f"x{i}" for i in range(design.matrix.shape[1])]
    data = design.matrix.set_axis(names, axis=1)
    data["_time"] = pd.to_numeric(ipd[tcol], errors="coerce").astype(float)
    data["_event"] = pd.to_numeric(ipd[ecol], errors="coerce").astype(float)
    used = data.dropna()                                  # complete-case, as R's na.omit
    coefs, ses, zs, ps, loglik = _cox_estimates(used, alpha)
    z = norm.ppf(1 - alpha / 2)
    rows = []
    for name, (_, d) in zip(names, design.columns.iterrows()):
        b = coefs[name]
        se = ses[name]
        row = {"model": model, "endpoint": endpoint, "variable": d["variable"], "level": d["level"],
               "reference": d["reference"], "coef": b, "se": se, "hr": np.exp(b),
               "ci_low": np.exp(b - z * se), "ci_high": np.exp(b + z * se),
               "z": zs[name], "p": ps[name],
               "n": int(len(used)), "events": int(used["_event"].sum()),
               "loglik": loglik}
        if d["kind"] != "continuous":
            in_level = used[name] == 1
            ref_cols = [nm for nm, (_, dd) in zip(names, design.columns.iterrows())
                        if dd["variable"] == d["variable"]]
            in_ref = (used[ref_cols] == 0).all(axis=1)
            row.update(n_level=int(in_level.sum()), n_reference=int(in_ref.sum()),
                       events_level=int(used.loc[in_level, "_event"].sum()),
                       events_reference=int(used.loc[in_ref, "_event"].sum()))
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=COX_COLUMNS)
    for col in ("n_level", "n_reference", "events_level", "events_reference"):
        out[col] = out[col].astype("Int64")
    return out


def cox_univariable(ipd: pd.DataFrame, covariates_spec: dict, endpoint: str,
                    references: dict[str, str] | None = None, variables: Sequence[str] | None = None,
                    alpha: float = 0.05) -> pd.DataFrame:
    """One Cox model per covariate (all of covariates.yaml unless ``variables``): a tidy table
    with one row per coefficient (see :data:`COX_COLUMNS`)."""
    variables = list(variables) if variables is not None else list(covariate_specs(covariates_spec))
    parts = [_fit_cox(ipd, covariates_spec, [v], endpoint, references, alpha, "univariable")
             for v in variables]
    if not parts:
        return pd.DataFrame(columns=COX_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def cox_multivariable(ipd: pd.DataFrame, covariates_spec: dict, variables: Sequence[str],
                      endpoint: str, references: dict[str, str] | None = None,
                      alpha: float = 0.05) -> pd.DataFrame:
    """One Cox model with all ``variables`` together (complete cases): a tidy table."""
    return _fit_cox(ipd, covariates_spec, list(variables), endpoint, references, alpha,
                    "multivariable")
