"""The synthetic cohort: patient-level data simulated from a study's ledger.

No patient-level data were published for the studies this project checks, so the patient-level
analyses run on a cohort simulated from the printed numbers (``ipd = "synthetic"``). How each
column is made:

* categorical baseline variables (``counts.csv``, ``baseline.*`` levels): the printed counts
  exactly, in random order (Table rows preferred over other appearances);
* continuous baseline variables (``summaries.csv``): mean +/- SD as a normal truncated to the
  inclusion limits of ``design.csv`` (or to values >= 0), with the untruncated parameters solved so
  that the truncated distribution has the printed mean and SD; median (min-max) as a split
  log-normal with the printed median whose tails reach the printed extremes, truncated to them;
* ``best_response`` and ``line`` from their printed counts; adverse events (``ae_<slug>``, worst
  grade per patient) from the printed counts by grade band, placed so that the printed patient
  totals (any grade, grade >= 3) hold where possible;
* Table 3 variables not in Table 1 (``covariates.yaml``): levels linked to counts through
  ``level_quantity`` get those counts, others are split evenly (an assumption, said in ``notes``);
* PFS: exponential proportional hazards with the printed multivariable HRs as the truth (the
  univariable HR for variables not in the multivariable model), baseline hazard solved
  numerically so that the cohort's marginal median equals the printed median PFS;
* OS = PFS + an exponential post-progression time with the same linear predictor, its rate solved
  so that the marginal median OS equals the printed one (so OS >= PFS for every patient);
* censoring: administrative only, uniform accrual over the accrual window up to the data cut-off
  (:func:`helpers.ledger.followup.study_followup`).

Deterministic given ``seed``: every component draws from its own stream ``default_rng([seed, k])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..core.errors import LedgerError
from .ipd import RESPONSES, register_source, validate_ipd
from .survival import MISSING_LEVELS   # printed level names for "no value" (defined once there)
from ..ledger.followup import FollowUp, study_followup
from ..ledger.load import Ledger, load_ledger
from ..core.printed import parse_printed
from ..core.text import slug

STREAMS = {"calibrate": 1, "covariates": 2, "survival": 3, "enrol": 4, "response": 5, "ae": 6}
CALIBRATION_PATIENTS = 40_000


def _rng(seed: int, stream: str, extra: int = 0) -> np.random.Generator:
    return np.random.default_rng([int(seed), STREAMS[stream], int(extra)])


def _value(text) -> float | None:
    t = "" if text is None else str(text).strip()
    return parse_printed(t).value if t else None


def _prefer_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per quantity: the Table appearance if any, else the first."""
    if df.empty:
        return df
    order = df.assign(_t=(df["source"] != "table").astype(int)).sort_values(
        ["_t"], kind="mergesort")
    return order.drop_duplicates("quantity", keep="first").drop(columns="_t").sort_index()


# --------------------------------------------------------------------------- specifications


@dataclass
class Categorical:
    column: str
    levels: list[str]
    counts: list[int]              # exact counts per level; the rest of N is left empty ("")
    source: str
    derived_from: tuple | None = None   # (column, {value: level}) to map another column
    quantities: list = field(default_factory=list)   # counts.csv quantity of each level
    variable: str = ""                  # the ledger's variable name


@dataclass
class Numeric:
    column: str
    kind: str                      # "tnorm" or "split_lognormal"
    params: dict
    low: float
    high: float
    granularity: float | None
    source: str
    variable: str = ""


@dataclass
class Effect:
    variable: str
    level: str
    reference: str
    column: str
    log_hr: float
    model: str
    row_id: str
    cut: float | None = None
    below: str | None = None
    above: str | None = None
    kind: str = "categorical"          # categorical | cut | continuous
    scale: float = 1.0

    def indicator(self, values: np.ndarray) -> np.ndarray:
        """The model column: 1 where a patient is in ``level`` and 0 elsewhere; for a continuous
        covariate the value divided by ``scale`` (missing values set to the cohort mean)."""
        if self.kind == "categorical":
            return (values == self.level).astype(float)
        v = pd.to_numeric(pd.Series(np.ravel(values)), errors="coerce").to_numpy(float).reshape(
            np.shape(values))
        if self.kind == "continuous":
            v = v / self.scale
            fill = np.nanmean(v, axis=-1, keepdims=True)
            return np.where(np.isnan(v), fill, v)
        return ((v >= self.cut) if self.level == self.above else (v < self.cut)).astype(float)


@dataclass
class CohortModel:
    """Everything needed to draw synthetic cohorts of one study (see the module docstring)."""

    study: str
    n: int
    unit: str
    categoricals: list[Categorical]
    numerics: list[Numeric]
    effects: list[Effect]
    followup: FollowUp | None
    median_pfs: float | None
    median_os: float | None
    response: Categorical | None
    adverse_events: list[dict]
    ae_totals: dict
    seed: int
    first: str = ""                 # the endpoint simulated directly: "PFS", else "OS"
    lam: float = math.nan           # its baseline (exponential) rate
    mu_os: float = math.nan         # post-progression rate (OS = PFS + post) when both
    notes: list[str] = field(default_factory=list)

    @property
    def endpoints(self) -> list[str]:
        """The endpoints the model simulates."""
        if math.isnan(self.lam):
            return []
        return ["PFS", "OS"] if self.first == "PFS" and not math.isnan(self.mu_os) else [self.first]

    # ---------------------------------------------------------------- covariates

    def needed_columns(self) -> list[str]:
        cols = []
        for e in self.effects:
            cols.append(e.column)
            for c in self.categoricals:
                if c.column == e.column and c.derived_from:
                    cols.append(c.derived_from[0])
        return list(dict.fromkeys(cols))

    def draw_covariates(self, rng: np.random.Generator, B: int = 1,
                        columns: list[str] | None = None) -> dict[str, np.ndarray]:
        """Covariate columns as (B, n) arrays (object arrays for categorical columns)."""
        out: dict[str, np.ndarray] = {}
        want = None if columns is None else set(columns)
        for c in self.categoricals:
            if c.derived_from or (want is not None and c.column not in want):
                continue
            out[c.column] = _draw_categorical(rng, c, self.n, B)
        for c in self.categoricals:
            if c.derived_from and (want is None or c.column in want):
                src, mapping = c.derived_from
                base = out[src] if src in out else _draw_categorical(
                    rng, next(x for x in self.categoricals if x.column == src), self.n, B)
                out[c.column] = np.vectorize(lambda v: mapping.get(v, ""), otypes=[object])(base)
        for num in self.numerics:
            if want is not None and num.column not in want:
                continue
            out[num.column] = _draw_numeric(rng, num, self.n, B)
        return out

    def linear_predictor(self, cov: dict[str, np.ndarray], B: int | None = None) -> np.ndarray:
        shape = next(iter(cov.values())).shape if cov else (B or 1, self.n)
        eta = np.zeros(shape)
        for e in self.effects:
            eta += e.log_hr * e.indicator(cov[e.column])
        return eta

    def design(self, cov: dict[str, np.ndarray], effects: list[Effect] | None = None) -> np.ndarray:
        """The 0/1 design matrix (B, n, k) of ``effects`` (default: all)."""
        effects = self.effects if effects is None else effects
        if not effects:
            shape = next(iter(cov.values())).shape if cov else (1, self.n)
            return np.zeros((*shape, 0))
        return np.stack([e.indicator(cov[e.column]) for e in effects], axis=-1)

    # ---------------------------------------------------------------- survival

    def calibrate(self) -> None:
        """Solve the baseline rate of the first endpoint (PFS if a median PFS is printed, else OS)
        and, with both, the post-progression rate, so that the marginal medians are the printed
        ones."""
        rng = _rng(self.seed, "calibrate")
        B = max(1, CALIBRATION_PATIENTS // self.n)
        eta = self.linear_predictor(self.draw_covariates(rng, B, self.needed_columns()), B).ravel()
        r = np.exp(eta)
        if self.median_pfs is None and self.median_os is None:
            self.notes.append("no printed median PFS or OS: no survival times simulated")
            return
        self.first = "PFS" if self.median_pfs is not None else "OS"
        m = self.median_pfs if self.first == "PFS" else self.median_os

        def f_first(log_lam):
            return np.mean(np.exp(-np.exp(log_lam) * m * r)) - 0.5

        lam0 = math.log(2) / m
        self.lam = math.exp(optimize.brentq(f_first, math.log(lam0) - 12, math.log(lam0) + 12,
                                            xtol=1e-12))
        if self.first == "OS":
            self.notes.append("no printed median PFS: only OS simulated")
            return
        if self.median_os is None:
            self.notes.append("no printed median OS: OS not simulated")
            return
        if self.median_os <= m:
            self.notes.append(f"printed median OS {self.median_os} is not above median PFS {m}: "
                              "OS set equal to PFS")
            self.mu_os = math.inf
            return
        t = self.median_os
        a = self.lam * r

        def f_os(log_mu):
            b = math.exp(log_mu) * r
            return np.mean(_hypoexp_survival(t, a, b)) - 0.5

        lo, hi = math.log(self.lam) - 12, math.log(self.lam) + 12
        self.mu_os = math.exp(optimize.brentq(f_os, lo, hi, xtol=1e-12))

    def draw_survival(self, rng: np.random.Generator, eta: np.ndarray,
                      rng_enrol: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """Times and events of the simulated endpoints (arrays shaped like ``eta``)."""
        if math.isnan(self.lam):
            return {}
        r = np.exp(eta)
        t_first = rng.exponential(1.0, eta.shape) / (self.lam * r)
        post = rng.exponential(1.0, eta.shape)
        rng_enrol = rng if rng_enrol is None else rng_enrol
        if self.followup is None:
            fu = np.full(eta.shape, np.inf)
        else:
            fu = rng_enrol.uniform(self.followup.min_fu, self.followup.max_fu, eta.shape)
        key = self.first.lower()
        out = {f"{key}_time": np.minimum(t_first, fu), f"{key}_event": (t_first <= fu).astype(int),
               "followup": fu}
        if self.first == "PFS" and not math.isnan(self.mu_os):
            t_os = t_first if math.isinf(self.mu_os) else t_first + post / (self.mu_os * r)
            out.update(os_time=np.minimum(t_os, fu), os_event=(t_os <= fu).astype(int))
        return out

    def simulate(self, B: int, seed: int | None = None, columns: list[str] | None = None) -> dict:
        """``B`` synthetic cohorts at once: covariates, design matrix of all effects, survival."""
        seed = self.seed if seed is None else seed
        cov = self.draw_covariates(_rng(seed, "covariates", 1), B,
                                   self.needed_columns() if columns is None else columns)
        eta = self.linear_predictor(cov, B)
        surv = self.draw_survival(_rng(seed, "survival", 1), eta, _rng(seed, "enrol", 1))
        return {"covariates": cov, "X": self.design(cov), "eta": eta, **surv}

    # ---------------------------------------------------------------- one cohort

    def cohort(self) -> pd.DataFrame:
        """One synthetic cohort as a patient-level frame (schema of ``data/ipd/README.md``)."""
        cov = self.draw_covariates(_rng(self.seed, "covariates"), 1)
        df = pd.DataFrame({"id": [f"S{i + 1:04d}" for i in range(self.n)]})
        surv = self.draw_survival(_rng(self.seed, "survival"), self.linear_predictor(cov),
                                  _rng(self.seed, "enrol"))
        for ep in ("pfs", "os"):
            if f"{ep}_time" in surv:
                df[f"{ep}_time"] = np.round(surv[f"{ep}_time"][0], 4)
                df[f"{ep}_event"] = surv[f"{ep}_event"][0]
        if "pfs_time" in df and "os_time" in df:
            df["os_time"] = np.maximum(df["os_time"], df["pfs_time"])
        if self.response is not None:
            df["best_response"] = _draw_categorical(_rng(self.seed, "response"), self.response,
                                                    self.n, 1)[0]
        for col, values in cov.items():
            df[col] = values[0]
        df = df.copy()
        for col, grades in _draw_adverse_events(_rng(self.seed, "ae"), self.adverse_events,
                                                self.ae_totals, self.n).items():
            df[col] = grades
        return df

    def truth(self) -> pd.DataFrame:
        """The hazard ratios the cohort is simulated with (the 'true' effects)."""
        return pd.DataFrame([{"variable": e.variable, "level": e.level, "reference": e.reference,
                              "column": e.column, "hr": math.exp(e.log_hr), "from_model": e.model,
                              "row_id": e.row_id} for e in self.effects])

    def describe(self) -> pd.DataFrame:
        """Where each simulated column comes from."""
        rows = []
        for c in self.categoricals:
            how = (f"mapped from {c.derived_from[0]}" if c.derived_from else
                   ", ".join(f"{lv}: {k}" for lv, k in zip(c.levels, c.counts)))
            rows.append({"column": c.column, "kind": "categorical", "how": how, "source": c.source})
        for num in self.numerics:
            p = ", ".join(f"{k} {v:.4g}" for k, v in num.params.items())
            rows.append({"column": num.column, "kind": num.kind,
                         "how": f"{p}; within [{num.low:g}, {num.high:g}]"
                                + (f"; step {num.granularity:g}" if num.granularity else ""),
                         "source": num.source})
        if self.response is not None:
            rows.append({"column": "best_response", "kind": "categorical",
                         "how": ", ".join(f"{lv}: {k}" for lv, k in
                                          zip(self.response.levels, self.response.counts)),
                         "source": self.response.source})
        if not math.isnan(self.lam):
            key = self.first.lower()
            m = self.median_pfs if self.first == "PFS" else self.median_os
            rows.append({"column": f"{key}_time, {key}_event", "kind": "exponential PH",
                         "how": f"baseline rate {self.lam:.4g}/{self.unit} for median {m:g}",
                         "source": "survival.csv, hazard_ratios.csv"})
        if not math.isnan(self.mu_os):
            rows.append({"column": "os_time, os_event", "kind": "PFS + exponential",
                         "how": f"post-progression rate {self.mu_os:.4g}/{self.unit} for median "
                                f"{self.median_os:g}", "source": "survival.csv"})
        if self.followup is not None:
            rows.append({"column": "censoring", "kind": "administrative",
                         "how": f"potential follow-up uniform on [{self.followup.min_fu:.2f}, "
                                f"{self.followup.max_fu:.2f}] {self.unit}",
                         "source": f"accrual {self.followup.accrual_start} to "
                                   f"{self.followup.accrual_end}, cut-off {self.followup.cutoff}"})
        for ae in self.adverse_events:
            rows.append({"column": ae["column"], "kind": "worst grade",
                         "how": f"grade 1-2: {ae['lt3']}, grade 3: {ae['ge3']}", "source": ae["source"]})
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- drawing


def _draw_categorical(rng, c: Categorical, n: int, B: int) -> np.ndarray:
    base = np.full(n, "", dtype=object)
    pos = 0
    for lv, k in zip(c.levels, c.counts):
        base[pos:pos + k] = lv
        pos += k
    return rng.permuted(np.tile(base, (B, 1)), axis=1)


def _draw_numeric(rng, num: Numeric, n: int, B: int) -> np.ndarray:
    if num.kind == "tnorm":
        mu, sd = num.params["mu"], num.params["sigma"]
        a, b = (num.low - mu) / sd, (num.high - mu) / sd
        x = stats.truncnorm.rvs(a, b, loc=mu, scale=sd, size=(B, n), random_state=rng)
    else:
        c, s_lo, s_hi = num.params["median"], num.params["sigma_low"], num.params["sigma_high"]
        below = rng.random((B, n)) < 0.5
        if num.kind == "split_lognormal":
            b_lo = math.log(c / num.low) / s_lo if num.low > 0 else np.inf
            b_hi = math.log(num.high / c) / s_hi if math.isfinite(num.high) else np.inf
        else:
            b_lo = (c - num.low) / s_lo if math.isfinite(num.low) else np.inf
            b_hi = (num.high - c) / s_hi if math.isfinite(num.high) else np.inf
        mag_lo = stats.truncnorm.rvs(0, b_lo, size=(B, n), random_state=rng)
        mag_hi = stats.truncnorm.rvs(0, b_hi, size=(B, n), random_state=rng)
        if num.kind == "split_lognormal":
            x = np.where(below, c * np.exp(-s_lo * mag_lo), c * np.exp(s_hi * mag_hi))
        else:
            x = np.where(below, c - s_lo * mag_lo, c + s_hi * mag_hi)
    if num.granularity:
        g = num.granularity
        x = np.round(x / g) * g
        lo = math.ceil(num.low / g - 1e-9) * g if math.isfinite(num.low) else -np.inf
        hi = math.floor(num.high / g + 1e-9) * g if math.isfinite(num.high) else np.inf
        x = np.clip(x, lo, hi)
    return x


def _hypoexp_survival(t: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(X + Y > t) for independent exponentials X (rate a) and Y (rate b)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        general = (b * np.exp(-a * t) - a * np.exp(-b * t)) / (b - a)
    same = (1 + a * t) * np.exp(-a * t)
    return np.where(np.abs(b - a) < 1e-9 * a, same, general)


def _draw_adverse_events(rng, events: list[dict], totals: dict, n: int) -> dict[str, np.ndarray]:
    """Worst grade per patient and event; patients with grade >= 3 are drawn from a pool of the
    printed size of 'any grade >= 3', everyone with an event from the pool of 'any grade'."""
    out = {}
    if not events:
        return out
    n_any = min(totals.get("any") or n, n)
    n_ge3 = min(totals.get("ge3") or n_any, n_any)
    perm = rng.permutation(n)
    pool_any, pool_ge3 = perm[:n_any], perm[:n_ge3]
    covered = np.zeros(n, dtype=bool)
    covered3 = np.zeros(n, dtype=bool)

    def pick(pool, k, cover, exclude):
        cand = pool[~exclude[pool]]
        first = cand[~cover[cand]]
        rest = cand[cover[cand]]
        rng.shuffle(first)
        rng.shuffle(rest)
        return np.concatenate([first, rest])[:k]

    order = sorted(range(len(events)), key=lambda i: -events[i]["ge3"])
    grades = {ev["column"]: np.zeros(n, dtype=int) for ev in events}
    for i in order:
        ev = events[i]
        g = grades[ev["column"]]
        idx3 = pick(pool_ge3, ev["ge3"], covered3, np.zeros(n, dtype=bool))
        g[idx3] = 3
        covered3[idx3] = True
        covered[idx3] = True
    for i in order:
        ev = events[i]
        g = grades[ev["column"]]
        idx = pick(pool_any, ev["lt3"], covered, g > 0)
        g[idx] = rng.integers(1, 3, size=idx.size)
        covered[idx] = True
    for ev in events:
        out[ev["column"]] = grades[ev["column"]]
    return out


# --------------------------------------------------------------------------- building the model


def _solve_tnorm(mean: float, sd: float, low: float, high: float) -> tuple[float, float, str]:
    """Untruncated (mu, sigma) whose truncation to [low, high] has the given mean and SD."""
    if not (math.isfinite(low) or math.isfinite(high)):
        return mean, sd, ""

    def resid(p):
        mu, log_s = p
        s = math.exp(log_s)
        m, v = stats.truncnorm.stats((low - mu) / s, (high - mu) / s, loc=mu, scale=s, moments="mv")
        return [float(m) - mean, math.sqrt(max(float(v), 0.0)) - sd]

    try:
        sol = optimize.least_squares(resid, [mean, math.log(sd)], method="lm")
        mu, s = sol.x[0], math.exp(sol.x[1])
        if max(abs(r) for r in resid(sol.x)) < 1e-6 * max(1.0, abs(mean)):
            return mu, s, ""
    except (ValueError, OverflowError):
        pass
    return mean, sd, "truncated-normal parameters not solvable; printed mean and SD used untruncated"


def _bounds(ledger: Ledger, column: str, center: float) -> tuple[float, float, str]:
    d = ledger.design
    rows = d[(d["kind"] == "inclusion") & (d["parameter"] == column)] if not d.empty else d
    if len(rows):
        r = rows.iloc[0]
        lo, hi = _value(r["value"]), _value(r["value_high"])
        comp = r["comparator"]
        if comp == "range" and hi is not None:
            return lo, hi, f"inclusion {r['locator']}"
        if comp in (">", ">="):
            return lo, math.inf, f"inclusion {r['locator']}"
        if comp in ("<", "<="):
            return (0.0 if center > 0 else -math.inf), lo, f"inclusion {r['locator']}"
    return (0.0 if center > 0 else -math.inf), math.inf, "values >= 0"


def _numeric_specs(ledger: Ledger, notes: list[str]) -> list[Numeric]:
    s = ledger.summaries
    if s.empty:
        return []
    s = _prefer_table(s[s["population"] == "all"])
    out = []
    for _, r in s.iterrows():
        column = r["quantity"].split(".", 1)[1].replace(".", "_") if "." in r["quantity"] else slug(r["variable"])
        center = _value(r["center"])
        gran = _value(r["granularity"])
        src = f"{r['row_id']} ({r['locator']})"
        if r["statistic"] == "mean_sd":
            lo, hi, why = _bounds(ledger, column, center)
            mu, sigma, note = _solve_tnorm(center, _value(r["sd"]), lo, hi)
            if note:
                notes.append(f"{column}: {note}")
            out.append(Numeric(column, "tnorm", {"mu": mu, "sigma": sigma, "mean": center,
                                                 "sd": _value(r["sd"])}, lo, hi, gran,
                               f"{src}; limits: {why}", r["variable"]))
        elif r["statistic"] in ("median_range", "median_iqr"):
            lo, hi = _value(r["low"]), _value(r["high"])
            if not (hi > center > lo):
                notes.append(f"{column}: median {r['center']} not strictly inside "
                             f"({r['low']}, {r['high']}); not simulated")
                continue
            # z: where the extremes (range) or the quartiles (IQR) sit on the normal scale
            z = (stats.norm.ppf(int(r["n"]) / (int(r["n"]) + 1)) if r["statistic"] == "median_range"
                 else stats.norm.ppf(0.75))
            if lo > 0:
                kind = "split_lognormal"
                sp = {"median": center, "sigma_low": math.log(center / lo) / z,
                      "sigma_high": math.log(hi / center) / z}
            else:
                kind = "split_normal"
                sp = {"median": center, "sigma_low": (center - lo) / z, "sigma_high": (hi - center) / z}
            bounds = (lo, hi) if r["statistic"] == "median_range" else (
                (0.0, math.inf) if kind == "split_lognormal" else (-math.inf, math.inf))
            out.append(Numeric(column, kind, sp, *bounds, gran, src, r["variable"]))
        else:
            notes.append(f"{column}: only a {r['statistic']} is printed; not simulated")
    return out


def _categorical_specs(ledger: Ledger, n: int, notes: list[str]) -> list[Categorical]:
    c = ledger.counts
    if c.empty:
        return []
    c = c[(c["role"] == "level") & (c["population"] == "all") & (c["count"] != "")
          & c["quantity"].str.startswith("baseline.")]
    c = _prefer_table(c)
    out = []
    for column, g in c.groupby(c["quantity"].str.split(".").str[1], sort=False):
        levels = [q.split(".")[-1] if column == "line" else
                  "" if lv.strip().lower() in MISSING_LEVELS else lv
                  for q, lv in zip(g["quantity"], g["level"])]
        counts = [int(k) for k in g["count"]]
        if sum(counts) > n:
            notes.append(f"{column}: printed counts sum to {sum(counts)} > N = {n}; "
                         "the last levels are cut")
            keep, total = [], 0
            for k in counts:
                keep.append(max(0, min(k, n - total)))
                total += keep[-1]
            counts = keep
        elif sum(counts) < n:
            notes.append(f"{column}: printed counts sum to {sum(counts)} < N = {n}; "
                         f"{n - sum(counts)} patients left empty")
        out.append(Categorical(column, levels, counts,
                               "; ".join(f"{r} ({loc})" for r, loc in zip(g["row_id"], g["locator"])),
                               None, list(g["quantity"]), g["variable"].iloc[0]))
    return out


def _response_spec(ledger: Ledger, n: int, notes: list[str]) -> Categorical | None:
    c = ledger.counts
    if c.empty:
        return None
    c = c[(c["role"] == "level") & (c["population"] == "all") & (c["count"] != "")
          & c["quantity"].str.startswith("response.")]
    c = _prefer_table(c)
    c = c[c["level"].str.upper().isin(RESPONSES)]
    if c.empty:
        return None
    levels = list(c["level"].str.upper())
    counts = [int(k) for k in c["count"]]
    if sum(counts) > n:
        notes.append(f"best response counts sum to {sum(counts)} > N; cut")
    elif sum(counts) < n:
        levels.append("NE")
        counts.append(n - sum(counts))
        notes.append(f"best response: {counts[-1]} patients without a printed response set to NE")
    return Categorical("best_response", levels, counts,
                       "; ".join(f"{r} ({loc})" for r, loc in zip(c["row_id"], c["locator"])))


def _ae_specs(ledger: Ledger, n: int, notes: list[str]):
    a = ledger.adverse_events
    if a.empty:
        return [], {}
    events = []
    ev = a[(a["role"] == "event")]
    ev_t = _prefer_table(ev)
    for name, g in ev_t.groupby("event", sort=False):
        bands = {b: int(k) for b, k in zip(g["grade_band"], g["count"]) if k != ""}
        lt3 = bands.get("<3", bands.get("1-2", 0))
        ge3 = bands.get(">=3", bands.get("3-4", 0) + bands.get("5", 0))
        if "any" in bands and not ({"<3", "1-2"} & set(bands)):
            lt3 = max(0, bands["any"] - ge3)
        if lt3 + ge3 > n:
            notes.append(f"adverse event {name}: {lt3} + {ge3} > N; grade 1-2 cut")
            lt3 = n - ge3
        events.append({"column": "ae_" + slug(name), "event": name, "lt3": lt3, "ge3": ge3,
                       "source": "; ".join(g["row_id"])})
    tot = a[a["role"] == "total"]
    totals = {}
    for band, key in (("any", "any"), (">=3", "ge3")):
        t = tot[(tot["grade_band"] == band) & (tot["count"] != "")]
        if len(t):
            totals[key] = int(t.iloc[0]["count"])
    if "ge3" in totals:
        biggest = max((e["ge3"] for e in events), default=0)
        if totals["ge3"] < biggest:
            notes.append(f"patients with grade >= 3 ({totals['ge3']}) fewer than one event's "
                         f"grade >= 3 count ({biggest}); pool enlarged")
            totals["ge3"] = biggest
        if sum(e["ge3"] for e in events) < totals["ge3"]:
            notes.append("grade >= 3 events too few to cover the printed number of patients with "
                         "grade >= 3")
    return events, totals


def _alias(column: str, variable: str, kind: str, cats: list[Categorical], nums: list[Numeric],
           notes: list[str], levels: set[str] | None = None):
    """A covariates.yaml column that the Table 1 naming did not produce: the Table 1 variable of
    the same name under the new column name (numeric if its levels are numbers)."""
    for x in nums:
        if x.variable == variable:
            return "numeric", Numeric(column, x.kind, x.params, x.low, x.high, x.granularity,
                                      f"as {x.column}", variable)
    for c in cats:
        if c.variable == variable and not c.derived_from:
            numeric = all(_is_number(lv) for lv in c.levels if lv)
            if kind in ("cut", "continuous") and not numeric:
                return None, None
            if kind == "categorical" and levels and not levels <= set(c.levels):
                return None, None      # other level names: linked through level_quantity instead
            return "categorical", Categorical(column, c.levels, c.counts, f"as {c.column}",
                                              (c.column, {lv: lv for lv in c.levels}), c.quantities,
                                              variable)
    return None, None


def _is_number(text: str) -> bool:
    try:
        parse_printed(text)
        return True
    except ValueError:
        return False


def _effect_specs(ledger: Ledger, cats: list[Categorical], nums: list[Numeric], n: int,
                  notes: list[str]) -> tuple[list[Effect], list[Categorical], list[Numeric]]:
    spec = (ledger.covariates or {}).get("covariates", {}) or {}
    hr = ledger.hazard_ratios
    if not spec or hr.empty:
        if hr is not None and not hr.empty:
            notes.append("no covariates.yaml: survival simulated without covariate effects")
        return [], [], []
    endpoints = list(dict.fromkeys(hr["endpoint"]))
    endpoint = "PFS" if "PFS" in endpoints else endpoints[0]
    est = hr[(hr["role"] == "estimate") & (hr["endpoint"] == endpoint)]
    cat_cols = {c.column: c for c in cats}
    num_cols = {x.column: x for x in nums}
    extra_c, extra_n = [], []

    def kind_of(item):
        return ("continuous" if item.get("type") == "continuous" else
                "cut" if "cut" in item else "categorical")

    # pass 1: columns named in covariates.yaml that Table 1 gives under another name
    for variable, item in spec.items():
        column, kind = item["column"], kind_of(item)
        if column in cat_cols or column in num_cols:
            continue
        rows = est[est["variable"] == variable]
        levels = set(rows["level"]) | set(rows["reference"])
        what, made = _alias(column, variable, kind, cats, nums, notes, levels)
        if what == "numeric":
            extra_n.append(made)
            num_cols[column] = made
        elif what == "categorical":
            extra_c.append(made)
            cat_cols[column] = made
    effects = []
    for variable, item in spec.items():
        rows = est[est["variable"] == variable]
        if rows.empty:
            notes.append(f"{variable}: no printed HR for {endpoint}; no effect")
            continue
        multi = rows[rows["model"] == "multivariable"]
        use = multi if len(multi) else rows[rows["model"] == "univariable"]
        column, kind = item["column"], kind_of(item)
        if kind in ("cut", "continuous"):
            numeric_cat = column in cat_cols and all(_is_number(lv) for lv in cat_cols[column].levels
                                                     if lv)
            if column not in num_cols and not numeric_cat:
                notes.append(f"{variable}: column '{column}' is not simulated; no effect")
                continue
        elif column not in cat_cols:
            if column in num_cols:
                notes.append(f"{variable}: column '{column}' is numeric but the variable is "
                             "categorical in covariates.yaml; no effect")
                continue
            levels = list(dict.fromkeys([*use["reference"], *use["level"]]))
            made = _linked_categorical(ledger, column, use, levels, cats, n, notes)
            extra_c.append(made)
            cat_cols[column] = made
        for _, r in use.iterrows():
            effects.append(Effect(variable, r["level"], r["reference"], column,
                                  math.log(parse_printed(r["hr"]).value), r["model"], r["row_id"],
                                  float(item["cut"]) if "cut" in item else None,
                                  item.get("below"), item.get("above"), kind,
                                  float(item.get("scale", 1) or 1)))
    return effects, extra_c, extra_n


def _linked_categorical(ledger, column, rows, levels, cats, n, notes) -> Categorical:
    """A Table 3 variable not in Table 1 by name: its levels through ``level_quantity`` links."""
    links = {}
    for _, r in rows.iterrows():
        if r["level_quantity"]:
            links[r["level"]] = r["level_quantity"]
        if r["reference_quantity"]:
            links[r["reference"]] = r["reference_quantity"]
    for c in cats:
        qs = c.quantities
        if links and set(links.values()) <= set(qs):
            mapping = {c.levels[qs.index(q)]: lv for lv, q in links.items()}
            return Categorical(column, levels, [c.counts[qs.index(links[lv])] for lv in levels],
                               f"mapped from {c.column} through level_quantity", (c.column, mapping),
                               [], rows.iloc[0]["variable"])
    counts = [n // len(levels) + (1 if i < n % len(levels) else 0) for i in range(len(levels))]
    notes.append(f"{rows.iloc[0]['variable']}: no printed group sizes; split evenly "
                 f"({', '.join(f'{lv}: {k}' for lv, k in zip(levels, counts))}) - an assumption")
    return Categorical(column, levels, counts, "assumed even split", None, [],
                       rows.iloc[0]["variable"])


def _median(ledger: Ledger, endpoint: str, notes: list[str]) -> float | None:
    s = ledger.survival
    if s.empty:
        return None
    rows = s[(s["endpoint"] == endpoint) & (s["statistic"] == "median") & (s["population"] == "all")]
    if rows.empty:
        return None
    values = sorted({_value(v) for v in rows["center"]})
    if len(values) > 1:
        first = rows.iloc[0]
        notes.append(f"median {endpoint} printed as {', '.join(f'{v:g}' for v in values)}; "
                     f"the first appearance ({first['locator']}) is used")
        return _value(first["center"])
    return values[0]


def build_model(ledger: Ledger | str, seed: int = 0) -> CohortModel:
    """Read a ledger into a :class:`CohortModel` (calibrated, ready to draw cohorts)."""
    if isinstance(ledger, str):
        ledger = load_ledger(ledger)
    notes: list[str] = []
    n = ledger.n
    cats = _categorical_specs(ledger, n, notes)
    nums = _numeric_specs(ledger, notes)
    effects, extra_c, extra_n = _effect_specs(ledger, cats, nums, n, notes)
    cats, nums = cats + extra_c, nums + extra_n
    events, totals = _ae_specs(ledger, n, notes)
    fu = study_followup(ledger)
    if fu is None:
        notes.append("no accrual window or cut-off: no censoring")
    elif fu.note:
        notes.append(fu.note)
    if fu is not None and fu.accrual_end[:7] == fu.cutoff[:7]:
        notes.append(f"the data cut-off ({fu.cutoff}) falls in the month accrual ends "
                     f"({fu.accrual_end}): read as accrual up to the first day and cut-off on the last "
                     f"day of that month, so the last patients have {fu.min_fu:.1f} {fu.unit} of "
                     f"potential follow-up; the inclusion rule of repeated tumour assessments is not "
                     f"simulated")
    model = CohortModel(study=ledger.study, n=n, unit=str(ledger.meta.get("time_unit", "months")),
                        categoricals=cats, numerics=nums, effects=effects, followup=fu,
                        median_pfs=_median(ledger, "PFS", notes), median_os=_median(ledger, "OS", notes),
                        response=_response_spec(ledger, n, notes), adverse_events=events,
                        ae_totals=totals, seed=int(seed), notes=notes)
    if model.response is not None or events:
        notes.append("best response and adverse events are drawn independently of each other, of "
                     "the covariates and of survival (the ledger prints no joint distribution)")
    model.calibrate()
    return model


def synthetic_cohort(ledger: Ledger | str | None = None, seed: int = 0, study: str | None = None,
                     **_ignored) -> pd.DataFrame:
    """A synthetic patient-level cohort for a study (the ``"synthetic"`` IPD source), validated."""
    if ledger is None:
        if study is None:
            raise LedgerError("<synthetic>", "needs a ledger or a study name")
        ledger = study
    model = build_model(ledger, seed)
    return validate_ipd(model.cohort(), file=f"<synthetic {model.study} seed {seed}>")


register_source("synthetic", synthetic_cohort)
