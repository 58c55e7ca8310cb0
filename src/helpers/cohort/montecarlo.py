"""Monte Carlo over synthetic cohorts: what data consistent with a paper's printed numbers give.

:func:`run_monte_carlo` draws ``n_sim`` cohorts from a :class:`helpers.cohort.synthetic.CohortModel`
(the printed HRs as truth, the printed medians as calibration), fits every printed Cox model to
each with the batched solver :func:`helpers.cohort.coxbatch.fit_cox_batch` (Efron ties, as R's
``coxph``), computes the Kaplan-Meier median with its CI (:func:`km_median_batch`, vectorised,
tested against lifelines and R), and :func:`percentiles` places each printed value in the
simulated distribution.

:func:`variance_bound_experiment` shows the bound of :func:`helpers.checks.hazard.variance_bound` on
real fits (lifelines, or the batched solver for many data sets).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from .coxbatch import fit_cox_batch
from ..core.printed import parse_printed, z_for_level
from ..ledger.load import Ledger
from ..ledger.select import records
from ..ledger.views import estimates, row_label
from .survival import KM_CI_METHODS, km_bands
from .synthetic import CohortModel, Effect


# --------------------------------------------------------------------------- Kaplan-Meier


def km_median_batch(time, event, ci_method: str = "log", alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Kaplan-Meier median and its CI for each row of (B, n) arrays.

    The CI is the set of times where the pointwise CI of S(t) contains 1/2 (Brookmeyer &
    Crowley 1982, Biometrics 38:29), as R's ``quantile.survfit``: the lower limit is where the upper
    band first reaches 1/2, the upper limit where the lower band does. Greenwood's variance;
    ``ci_method`` is R's ``conf.type``: ``"log"`` (R's default) S exp(+/- z se),
    ``"log-log"`` (lifelines') and ``"plain"`` S (1 +/- z se), with se the standard error of
    -log S; the band is :func:`helpers.cohort.survival.km_bands` (the same function as
    :func:`helpers.cohort.survival.km_fit`, with R's ``NA`` -- ``nan`` -- where a limit is undefined,
    at S = 0 or 1; a ``nan`` limit never reaches 1/2). Where a curve sits exactly on 1/2 the
    midpoint to the next drop is taken (R's rule). NaN where a curve never reaches 1/2 (R's NA).
    """
    if ci_method not in KM_CI_METHODS:
        raise ValueError(f"ci_method must be one of {KM_CI_METHODS}, not {ci_method!r}")
    time = np.atleast_2d(np.asarray(time, dtype=float))
    event = np.atleast_2d(np.asarray(event, dtype=float))
    B, n = time.shape
    order = np.lexsort((1 - event, time), axis=-1)          # by time, events first within ties
    t = np.take_along_axis(time, order, axis=1)
    e = np.take_along_axis(event, order, axis=1)
    at_risk = n - np.arange(n)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        S = np.cumprod(1.0 - e / at_risk, axis=1)
        gw = np.cumsum(np.where(e > 0, e / (at_risk * (at_risk - e)), 0.0), axis=1)
    se = np.sqrt(gw)
    lower, upper = km_bands(S, se, ci_method, alpha)   # the one band (R's NA where undefined)
    # The step function changes only at the last row of a tie group holding an event.
    last = np.ones((B, n), dtype=bool)
    last[:, :-1] = t[:, 1:] != t[:, :-1]
    first = np.ones((B, n), dtype=bool)
    first[:, 1:] = t[:, 1:] != t[:, :-1]
    cum = np.cumsum(e, axis=1)
    start = np.maximum.accumulate(np.where(first, np.arange(n)[None, :], 0), axis=1)
    before = np.where(start > 0, np.take_along_axis(cum, np.maximum(start - 1, 0), axis=1), 0.0)
    valid = last & (cum - before > 0)
    t_max = t[:, -1]
    med = _first_crossing(t, S, valid, t_max)
    lo = _first_crossing(t, lower, valid, t_max)
    hi = _first_crossing(t, upper, valid, t_max)
    return {"median": med, "ci_low": lo, "ci_high": hi}


def _first_crossing(t: np.ndarray, curve: np.ndarray, valid: np.ndarray, t_max: np.ndarray,
                    p: float = 0.5, tol: float = math.sqrt(np.finfo(float).eps)) -> np.ndarray:
    """First time a step curve is <= p, as R's ``survival:::findq``: where the curve sits on p
    (within ``tol``) the midpoint to the next drop below p, or to the last time if none."""
    B, n = t.shape
    hit = valid & (curve <= p + tol)
    any_hit = hit.any(axis=1)
    i = np.argmax(hit, axis=1)
    rows = np.arange(B)
    out = np.where(any_hit, t[rows, i], np.nan)
    exact = any_hit & (curve[rows, i] > p - tol)
    if exact.any():
        below = valid & (curve <= p - tol)
        for b in np.flatnonzero(exact):
            later = np.flatnonzero(below[b, i[b] + 1:])
            nxt = t[b, i[b] + 1 + later[0]] if later.size else t_max[b]
            out[b] = (t[b, i[b]] + nxt) / 2
    return out


# --------------------------------------------------------------------------- the Monte Carlo


@dataclass
class MonteCarloResult:
    """Per replicate: Cox fits of every printed HR row (``cox``) and KM medians (``km``)."""

    cox: pd.DataFrame
    km: pd.DataFrame
    n_sim: int
    seed: int
    ci_method: str
    seconds: float
    reason: str = ""          # why nothing was simulated ("" when the Monte Carlo ran)


def row_effects(model: CohortModel, ledger: Ledger) -> list[tuple[dict, Effect]]:
    """Each printed HR estimate row (a dict: column -> value) with the design column that
    estimates it (rows whose variable is not simulated are left out)."""
    by_var = {e.variable: e for e in model.effects}
    out = []
    for row in records(estimates(ledger)):
        e = by_var.get(row["variable"])
        if e is None:
            continue
        out.append((row, Effect(row["variable"], row["level"], row["reference"], e.column, 0.0,
                                row["model"], row["row_id"], e.cut, e.below, e.above, e.kind,
                                e.scale)))
    return out


KM_COLUMNS = ["replicate", "endpoint", "median", "ci_low", "ci_high", "ci_width", "events"]
NO_ENDPOINT = ("not applicable: the paper prints no survival median (PFS or OS), so the synthetic "
               "cohort has no survival times to fit; the Monte Carlo is skipped")


def run_monte_carlo(model: CohortModel, ledger: Ledger, n_sim: int, seed: int,
                    ci_method: str = "log", alpha: float = 0.05) -> MonteCarloResult:
    """Fit every printed Cox model (PFS) and the KM medians to ``n_sim`` synthetic cohorts.

    A model without survival endpoints (the paper prints no median) gives an empty result whose
    ``reason`` says so."""
    import time as _time

    t0 = _time.perf_counter()
    if not model.endpoints:
        return MonteCarloResult(pd.DataFrame(), pd.DataFrame(columns=KM_COLUMNS), 0, seed,
                                ci_method, 0.0, reason=NO_ENDPOINT)
    sim = model.simulate(n_sim, seed=seed)
    pairs = row_effects(model, ledger)
    frames = []
    z = norm.ppf(0.975)
    for endpoint in dict.fromkeys(r["endpoint"] for r, _ in pairs):
        key = endpoint.lower()
        if f"{key}_time" not in sim:
            continue
        time, event = sim[f"{key}_time"], sim[f"{key}_event"]
        order = np.argsort(time, axis=1, kind="stable")
        for model_name in ("univariable", "multivariable"):
            rows = [(r, e) for r, e in pairs if r["model"] == model_name and r["endpoint"] == endpoint]
            if not rows:
                continue
            X_all = np.stack([e.indicator(sim["covariates"][e.column]) for _, e in rows], axis=-1)
            # univariable: one model per variable (all its levels together)
            if model_name == "univariable":
                by_var: dict[str, list[int]] = {}
                for j, (r, _) in enumerate(rows):
                    by_var.setdefault(r["variable"], []).append(j)
                groups = list(by_var.values())
            else:
                groups = [list(range(len(rows)))]
            for cols in groups:
                res = fit_cox_batch(time, event, X_all[:, :, cols], order=order)
                for k, j in enumerate(cols):
                    r, e = rows[j]
                    coef, se = res.coef[:, k], res.se[:, k]
                    binary = e.kind != "continuous"
                    frames.append(pd.DataFrame({
                        "replicate": np.arange(n_sim), "model": model_name, "endpoint": endpoint,
                        "row_id": r["row_id"], "label": row_label(r),
                        "variable": r["variable"], "level": r["level"],
                        "reference": r["reference"], "coef": coef, "se": se, "hr": np.exp(coef),
                        "ci_low": np.exp(coef - z * se), "ci_high": np.exp(coef + z * se),
                        "ci_ratio": np.exp(2 * z * se), "p": 2 * norm.sf(np.abs(coef / se)),
                        "converged": res.converged,
                        "n_level": X_all[:, :, j].sum(axis=1) if binary else np.nan,
                        "events": event.sum(axis=1)}))
    cox = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    km_frames = []
    for ep, (tc, ec) in {"PFS": ("pfs_time", "pfs_event"), "OS": ("os_time", "os_event")}.items():
        if tc not in sim:
            continue
        k = km_median_batch(sim[tc], sim[ec], ci_method, alpha)
        km_frames.append(pd.DataFrame({"replicate": np.arange(n_sim), "endpoint": ep,
                                       "median": k["median"], "ci_low": k["ci_low"],
                                       "ci_high": k["ci_high"], "ci_width": k["ci_high"] - k["ci_low"],
                                       "events": sim[ec].sum(axis=1)}))
    km = pd.concat(km_frames, ignore_index=True) if km_frames else pd.DataFrame(columns=KM_COLUMNS)
    return MonteCarloResult(cox, km, n_sim, seed, ci_method, _time.perf_counter() - t0)


def _percentile(sim: np.ndarray, value: float) -> float:
    sim = sim[np.isfinite(sim)]
    return float(100 * np.mean(sim <= value)) if sim.size else math.nan


def percentiles(result: MonteCarloResult, ledger: Ledger) -> pd.DataFrame:
    """Each printed value against its simulated distribution: the 2.5/50/97.5% quantiles and the
    percentile of the printed value (share of simulated values at or below it, in %).

    HR rows: the CI ratio U/L (width on the log scale), the SE of log HR the printed CI implies,
    and the p-value (a printed bound such as ``<0.001`` is placed at 0.001). Medians: the median
    and the width of its CI.
    """
    rows = []
    cox = result.cox
    # the fits of each printed row, indexed once (not a scan of every fit per printed row)
    fits = cox.groupby("row_id", sort=False).indices if len(cox) else {}
    for r in (records(estimates(ledger)) if len(cox) else []):
        pos = fits.get(r["row_id"])
        if pos is None:
            continue
        sim = cox.iloc[pos]
        sim = sim[sim["converged"]]
        L, U = parse_printed(r["ci_low"]).value, parse_printed(r["ci_high"]).value
        z = z_for_level(r["ci_level"] or "95")
        label = row_label(r)
        items = [("CI ratio U/L", U / L, sim["ci_ratio"].to_numpy(), f"{r['ci_low']}-{r['ci_high']}"),
                 ("SE of log HR", (math.log(U) - math.log(L)) / (2 * z), sim["se"].to_numpy(),
                  f"{r['ci_low']}-{r['ci_high']}")]
        if r["p"]:
            items.append(("p", parse_printed(r["p"]).value, sim["p"].to_numpy(), r["p"]))
        for what, value, values, printed in items:
            if not np.isfinite(values).any():
                continue
            q = np.nanquantile(values, [0.025, 0.5, 0.975])
            rows.append({"item": label, "row_id": r["row_id"], "quantity": what, "printed": printed,
                         "value": value, "sim_2.5%": q[0], "sim_median": q[1], "sim_97.5%": q[2],
                         "percentile": _percentile(values, value), "n_sim": len(values)})
    s = ledger.survival
    km = result.km
    if not s.empty:
        med = s[(s["statistic"] == "median") & (s["population"] == "all") & (s["ci_low"] != "")]
        for _, r in med.drop_duplicates(["endpoint", "center", "ci_low", "ci_high"]).iterrows():
            sim = km[km["endpoint"] == r["endpoint"]]
            if sim.empty:
                continue
            label = f"median {r['endpoint']}"
            items = [("median", parse_printed(r["center"]).value, sim["median"].to_numpy(), r["center"]),
                     ("CI width", parse_printed(r["ci_high"]).value - parse_printed(r["ci_low"]).value,
                      sim["ci_width"].to_numpy(), f"{r['ci_low']}-{r['ci_high']}"),
                     ("CI lower limit", parse_printed(r["ci_low"]).value, sim["ci_low"].to_numpy(),
                      r["ci_low"]),
                     ("CI upper limit", parse_printed(r["ci_high"]).value, sim["ci_high"].to_numpy(),
                      r["ci_high"])]
            for what, value, values, printed in items:
                q = np.nanquantile(values, [0.025, 0.5, 0.975]) if np.isfinite(values).any() else [np.nan] * 3
                rows.append({"item": label, "row_id": r["row_id"], "quantity": what,
                             "printed": printed, "value": value, "sim_2.5%": q[0],
                             "sim_median": q[1], "sim_97.5%": q[2],
                             "percentile": _percentile(values, value),
                             "n_sim": int(np.isfinite(values).sum())})
    return pd.DataFrame(rows)


def simulated_ci_ranges(result: MonteCarloResult) -> pd.DataFrame:
    """Per HR row: median simulated HR and the 2.5%/97.5% quantiles of the simulated CI limits
    (the range a CI from data like the paper's would cover), for the forest plot."""
    empty = pd.DataFrame(columns=["row_id", "sim_hr", "sim_ci_low", "sim_ci_high", "sim_ratio"])
    if result.cox.empty or "converged" not in result.cox.columns:   # no model could be fitted
        return empty
    c = result.cox[result.cox["converged"].astype(bool)]
    if c.empty:
        return empty
    g = c.groupby("row_id", sort=False)
    return pd.DataFrame({"sim_hr": g["hr"].median(),
                         "sim_ci_low": g["ci_low"].median(), "sim_ci_high": g["ci_high"].median(),
                         "sim_ratio": g["ci_ratio"].median()}).reset_index()


# --------------------------------------------------------------------------- variance bound


def variance_bound_experiment(n_datasets: int = 30, n: int = 200, seed: int = 0,
                              engine: str = "lifelines") -> pd.DataFrame:
    """Fit Cox models to simulated data with a binary covariate and compare the Wald variance of
    log HR with the bounds 1/d1 + 1/d0 and 1/n1 + 1/n0 (:func:`helpers.checks.hazard.variance_bound`).

    Each data set draws its own group share (5-95%), true HR (0.25-4), exponential times and
    uniform censoring, so the bound is probed far from the balanced case.
    """
    rng = np.random.default_rng([int(seed), 99])
    share = rng.uniform(0.05, 0.95, n_datasets)
    log_hr = rng.uniform(math.log(0.25), math.log(4.0), n_datasets)
    cens_scale = rng.uniform(0.5, 5.0, n_datasets)
    x = (rng.random((n_datasets, n)) < share[:, None]).astype(float)
    x[:, 0], x[:, 1] = 1.0, 0.0                      # both levels present
    t = rng.exponential(1.0, (n_datasets, n)) / np.exp(log_hr[:, None] * x)
    c = rng.uniform(0, cens_scale[:, None], (n_datasets, n))
    time = np.minimum(t, c)
    event = (t <= c).astype(float)
    event[:, 0] = event[:, 1] = 1.0                  # at least one event per level
    time[:, 0], time[:, 1] = t[:, 0], t[:, 1]
    if engine == "lifelines":
        import warnings

        from lifelines import CoxPHFitter

        se = np.empty(n_datasets)
        coef = np.empty(n_datasets)
        for b in range(n_datasets):
            df = pd.DataFrame({"T": time[b], "E": event[b], "x": x[b]})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = CoxPHFitter().fit(df, "T", "E")
            se[b], coef[b] = fit.standard_errors_["x"], fit.params_["x"]
    elif engine == "coxbatch":
        res = fit_cox_batch(time, event, x[:, :, None])
        se, coef = res.se[:, 0], res.coef[:, 0]
    else:
        raise ValueError("engine must be 'lifelines' or 'coxbatch'")
    d1 = (event * x).sum(axis=1)
    d0 = (event * (1 - x)).sum(axis=1)
    n1 = x.sum(axis=1)
    n0 = n - n1
    return pd.DataFrame({"dataset": np.arange(n_datasets), "n1": n1.astype(int), "n0": n0.astype(int),
                         "d1": d1.astype(int), "d0": d0.astype(int), "true_hr": np.exp(log_hr),
                         "hr": np.exp(coef), "var": se ** 2, "bound_events": 1 / d1 + 1 / d0,
                         "bound_patients": 1 / n1 + 1 / n0, "engine": engine})
