"""The Monte Carlo (helpers.cohort.montecarlo): the vectorised Kaplan-Meier median against R and
lifelines, the batched Cox fits against lifelines, and the percentile table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times

from conftest import TINY_ROOT
from helpers.cohort import montecarlo as mc
from helpers.cohort import synthetic as sy
from helpers.ledger.load import load_ledger

# Reference values from R 4.2.2, survival 3.5.3:
#   quantile(survfit(Surv(time, event) ~ 1, conf.type = ct), 0.5)
# Data sets with ties between events and censorings (A, B) and one without censoring whose curve
# sits exactly on 1/2 (C: R takes the midpoint to the next drop).
DATA = {
    "A": ([0.6, 10.8, 7.7, 1.8, 4.8, 5.2, 4.5, 5.3, 0.2, 2.9, 10.1, 6.3, 14.0, 0.1, 4.5, 2.5, 3.6,
           12.1, 2.9, 29.0, 6.5, 20.2, 1.4, 3.0, 2.4],
          [1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]),
    "B": ([0.2, 3.5, 17.0, 4.1, 7.5, 1.1, 0.4, 18.9, 7.3, 0.2, 13.3, 4.9, 6.0, 8.4, 5.4, 4.3, 0.2,
           17.2, 4.7, 8.1, 1.5, 13.3, 0.1, 8.6, 0.9, 1.9, 15.9, 17.4, 6.8, 14.5, 10.8, 4.8, 2.1,
           12.9, 3.4, 7.2, 7.5, 11.5, 0.8, 21.5],
          [0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1,
           1, 1, 0, 0, 1, 1, 0, 1, 1, 0]),
    "C": ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1] * 10),
}
R_REFERENCE = {  # (data, conf.type): (median, lower, upper); NaN = R's NA
    ("A", "log"): (5.3, 3.6, np.nan), ("A", "log-log"): (5.3, 2.9, 14.0),
    ("A", "plain"): (5.3, 3.0, 14.0),
    ("B", "log"): (7.5, 4.9, 14.5), ("B", "log-log"): (7.5, 4.8, 13.3),
    ("B", "plain"): (7.5, 4.8, 13.3),
    ("C", "log"): (5.5, 3.0, np.nan), ("C", "log-log"): (5.5, 1.0, 8.0),
    ("C", "plain"): (5.5, 3.0, 8.0),
}


@pytest.mark.parametrize("key", sorted(R_REFERENCE), ids=lambda k: f"{k[0]}-{k[1]}")
def test_km_median_matches_r(key):
    name, ct = key
    t, e = DATA[name]
    got = mc.km_median_batch(np.array(t)[None], np.array(e)[None], ct)
    np.testing.assert_allclose([got["median"][0], got["ci_low"][0], got["ci_high"][0]],
                               R_REFERENCE[key], equal_nan=True)


def test_km_median_matches_lifelines_in_a_batch():
    rng = np.random.default_rng(4)
    B, n = 12, 200
    t = rng.exponential(10, (B, n))
    c = rng.uniform(0, 30, (B, n))
    time, event = np.minimum(t, c), (t <= c).astype(int)
    got = mc.km_median_batch(time, event, "log-log")
    for b in range(B):
        kmf = KaplanMeierFitter().fit(time[b], event[b])
        lo, hi = median_survival_times(kmf.confidence_interval_).to_numpy()[0]
        assert got["median"][b] == pytest.approx(kmf.median_survival_time_)
        assert got["ci_low"][b] == pytest.approx(lo)
        assert got["ci_high"][b] == pytest.approx(hi) or (np.isnan(got["ci_high"][b]) and np.isinf(hi))


def test_km_median_rejects_unknown_method():
    with pytest.raises(ValueError, match="ci_method"):
        mc.km_median_batch([[1.0, 2.0]], [[1, 1]], "arcsine")


@pytest.fixture(scope="module")
def cao():
    led = load_ledger("cao2024")
    return led, sy.build_model(led, seed=5)


@pytest.fixture(scope="module")
def result(cao):
    led, model = cao
    return mc.run_monte_carlo(model, led, n_sim=40, seed=9, ci_method="log")


def test_batched_fits_agree_with_lifelines(cao, result):
    led, model = cao
    sim = model.simulate(40, seed=9)
    pairs = mc.row_effects(model, led)
    uni = [(r, e) for r, e in pairs if r["model"] == "univariable"][:2]
    multi = [(r, e) for r, e in pairs if r["model"] == "multivariable"]
    b = 3
    frame = pd.DataFrame({"T": sim["pfs_time"][b], "E": sim["pfs_event"][b]})
    for r, e in uni:
        df = frame.assign(x=e.indicator(sim["covariates"][e.column][b]))
        fit = CoxPHFitter().fit(df, "T", "E")
        got = result.cox[(result.cox["row_id"] == r["row_id"]) & (result.cox["replicate"] == b)].iloc[0]
        assert got["coef"] == pytest.approx(fit.params_["x"], rel=1e-4, abs=1e-6)
        assert got["se"] == pytest.approx(fit.standard_errors_["x"], rel=1e-4)
    df = frame.copy()
    for r, e in multi:
        df[r["row_id"]] = e.indicator(sim["covariates"][e.column][b])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxPHFitter().fit(df, "T", "E")
    for r, _ in multi:
        got = result.cox[(result.cox["row_id"] == r["row_id"]) & (result.cox["replicate"] == b)].iloc[0]
        assert got["se"] == pytest.approx(fit.standard_errors_[r["row_id"]], rel=1e-4)


def test_percentiles_cover_every_printed_number(cao, result):
    led, _ = cao
    pct = mc.percentiles(result, led)
    est = led.hazard_ratios[led.hazard_ratios["role"] == "estimate"]
    assert set(pct["row_id"]) >= set(est["row_id"])
    assert pct["percentile"].between(0, 100).all()
    assert {"CI ratio U/L", "SE of log HR", "p", "median", "CI width"} <= set(pct["quantity"])
    assert (pct["sim_2.5%"] <= pct["sim_97.5%"]).all()
    # deterministic given the seed
    again = mc.run_monte_carlo(cao[1], led, n_sim=40, seed=9, ci_method="log")
    pd.testing.assert_frame_equal(result.cox, again.cox)


def test_simulated_ci_ranges(result):
    ranges = mc.simulated_ci_ranges(result)
    assert (ranges["sim_ci_low"] < ranges["sim_hr"]).all()
    assert (ranges["sim_hr"] < ranges["sim_ci_high"]).all()


def test_monte_carlo_without_covariates():
    led = load_ledger("tiny", root=TINY_ROOT)
    model = sy.build_model(led, seed=0)
    res = mc.run_monte_carlo(model, led, n_sim=10, seed=0)
    assert res.cox.empty
    pfs = res.km[res.km["endpoint"] == "PFS"]
    assert len(pfs) == 10 and np.isfinite(pfs["median"]).all()
    assert len(mc.percentiles(res, led)) > 0


def test_km_median_batch_agrees_with_survival_km_fit(cao):
    """The vectorised median (own code, for speed) against helpers.cohort.survival.km_fit (R-matched)."""
    from helpers.cohort.survival import km_fit

    _, model = cao
    sim = model.simulate(4, seed=2)
    for ct in ("log", "log-log", "plain"):
        got = mc.km_median_batch(sim["os_time"], sim["os_event"], ct)
        for b in range(4):
            ref = km_fit(sim["os_time"][b], sim["os_event"][b], ci_method=ct)
            np.testing.assert_allclose([got["median"][b], got["ci_low"][b], got["ci_high"][b]],
                                       [ref.median, ref.ci_low, ref.ci_high], equal_nan=True)


def test_continuous_covariates_and_os_only():
    led = load_ledger("ncctg_lung")
    model = sy.build_model(led, seed=1)
    assert model.endpoints == ["OS"]
    assert {e.kind for e in model.effects} >= {"continuous", "categorical", "cut"}
    res = mc.run_monte_carlo(model, led, n_sim=15, seed=1)
    assert set(res.cox["endpoint"]) == {"OS"}
    per_unit = res.cox[res.cox["level"].str.startswith("per ")]
    assert len(per_unit) and per_unit["n_level"].isna().all()
    assert res.cox["converged"].mean() > 0.9


def test_forest_figures_draw_the_monte_carlo(cao, result):
    """Every figure of helpers.report.forest on the Monte Carlo: one plotly figure with data."""
    import plotly.graph_objects as go

    from helpers.report import forest
    from helpers.checks import hazard

    led, _ = cao
    table = hazard.printed_numbers(led).merge(mc.simulated_ci_ranges(result), on="row_id")
    pct = mc.percentiles(result, led)
    ratio = pct[pct["quantity"] == "CI ratio U/L"].rename(columns={"item": "label"})
    exp = mc.variance_bound_experiment(n_datasets=5, n=60, seed=0, engine="coxbatch")
    pairs = [forest.forest(table),
             forest.mc_distribution(result.cox, ratio, value="ci_ratio", label="label"),
             forest.variance_bound(exp, table.assign(var_max=table["se_max"] ** 2)),
             forest.intervals(table.assign(verdict="consistent"), label="label", printed_low="ci_low",
                              printed_high="ci_high", allowed_low="narrowest_low",
                              allowed_high="narrowest_high")]
    for fig in pairs:
        assert isinstance(fig, go.Figure) and len(fig.data) > 0
    # the forest plot draws one printed CI per row
    assert sum(len(tr.x) for tr in pairs[0].data if tr.x is not None) >= len(table)


def test_simulated_ci_ranges_without_any_fit_is_empty_not_an_error():
    """A study with no mapped covariates gives a Monte Carlo with no Cox fits at all."""
    import pandas as pd

    from helpers.cohort.montecarlo import MonteCarloResult, simulated_ci_ranges

    none = MonteCarloResult(cox=pd.DataFrame(), km=pd.DataFrame(), n_sim=5, seed=1,
                            ci_method="log", seconds=0.0)
    out = simulated_ci_ranges(none)
    assert out.empty and list(out.columns) == ["row_id", "sim_hr", "sim_ci_low", "sim_ci_high",
                                               "sim_ratio"]


@pytest.mark.parametrize("dataset", ["toy_flat", "toy_last", "toy_not_reached", "toy_ties"])
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_median_batch_matches_the_r_fixtures_where_the_curve_reaches_zero(dataset, conf_type):
    """The batched median uses the one band of helpers.cohort.survival (R's NA at S = 0 and, for
    log-log, S = 1): on curves that end at S = 0 (toy_flat) a limit the band never reaches stays
    NA, as R's quantile.survfit says (the batch's old own band gave 0 there, hence a finite limit)."""
    from conftest import FIXTURES

    ref_dir = FIXTURES / "r_reference"
    data = pd.read_csv(ref_dir / f"km_{dataset}_data.csv")
    ref = pd.read_csv(ref_dir / "km_medians.csv").query(
        "dataset == @dataset and conf_type == @conf_type").iloc[0]
    got = mc.km_median_batch(data["time"].to_numpy()[None], data["event"].to_numpy()[None],
                             conf_type)
    np.testing.assert_allclose([got["median"][0], got["ci_low"][0], got["ci_high"][0]],
                               [ref["median"], ref["lower"], ref["upper"]], equal_nan=True)


def test_one_band_for_km_fit_and_the_batch():
    """km_fit's curve and the batch read the same km_bands: R's NA at S = 0 (log, log-log, plain
    after everyone at risk died) and at S = 1 for log-log."""
    from helpers.cohort.survival import km_bands, km_fit

    fit = km_fit([1, 2, 3, 4], [1, 1, 1, 1], ci_method="log-log")
    assert fit.curve["survival"].iloc[-1] == 0 and fit.curve[["lower", "upper"]].iloc[-1].isna().all()
    lo, hi = km_bands(np.array([1.0, 0.5, 0.0]), np.array([0.0, 0.3, np.inf]), "log-log")
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and np.isnan(lo[2]) and 0 < lo[1] < 0.5 < hi[1] < 1
    lo, hi = km_bands(np.array([1.0, 0.0]), np.array([0.0, np.inf]), "log")
    assert lo[0] == 1.0 and hi[0] == 1.0 and np.isnan(lo[1]) and np.isnan(hi[1])
    lo, hi = km_bands(np.array([[0.5, 0.0]]), np.array([[0.3, np.inf]]), "plain")   # a batch
    assert lo.shape == (1, 2) and np.isnan(lo[0, 1]) and np.isnan(hi[0, 1])


def test_a_paper_without_survival_medians_gives_an_empty_result_that_says_why():
    root = TINY_ROOT / "minimal"
    led = load_ledger("hazard_only", root=root)
    model = sy.build_model(led, seed=0)
    assert not model.endpoints
    res = mc.run_monte_carlo(model, led, n_sim=5, seed=1)
    assert res.n_sim == 0 and res.cox.empty and res.km.empty
    assert res.reason.startswith("not applicable: the paper prints no survival median")
    pct = mc.percentiles(res, led)        # the notebook's next step works on the empty result
    assert len(pct) == 0
