"""helpers.cohort.coxbatch: batched Cox fits agree with lifelines (Efron) and statsmodels (Breslow)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.cohort.coxbatch import BatchCoxResult, fit_cox, fit_cox_batch, fit_cox_models

lifelines = pytest.importorskip("lifelines")
sm = pytest.importorskip("statsmodels.api")

ATOL = 1e-6
# lifelines' defaults stop on a relative loglik change of 1e-9, which leaves ~1e-5 in
# the coefficients; tighten it so the comparison measures this module, not lifelines.
LIFELINES_OPTS = {"precision": 1e-14, "r_precision": 1e-16}


def simulate(rng, n, p, *, tied=False, censor=20.0):
    """Exponential times, exponential censoring; covariates alternate binary/continuous."""
    X = np.column_stack([rng.integers(0, 2, n) if j % 2 == 0 else rng.normal(size=n)
                         for j in range(p)]).astype(float)
    beta = np.linspace(0.6, -0.4, p)
    t = rng.exponential(12.0 * np.exp(-X @ beta))
    c = rng.exponential(censor, n)
    time = np.minimum(t, c)
    if tied:
        time = np.ceil(time)          # whole months: heavy ties
    return time, (t <= c).astype(float), X


def lifelines_fit(time, event, X):
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    df["time"], df["event"] = time, event
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = lifelines.CoxPHFitter().fit(df, "time", "event", fit_options=LIFELINES_OPTS)
    return cph.params_.to_numpy(), cph.standard_errors_.to_numpy(), cph.log_likelihood_


def assert_matches_lifelines(res: BatchCoxResult, b, time, event, X):
    coef, se, ll = lifelines_fit(time, event, X)
    assert res.converged[b]
    np.testing.assert_allclose(res.coef[b], coef, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.se[b], se, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.loglik[b], ll, rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- Efron vs lifelines


def test_continuous_times_one_binary_covariate_matches_lifelines():
    rng = np.random.default_rng(1)
    time, event, X = simulate(rng, 300, 1)
    assert np.unique(time).size == time.size
    res = fit_cox(time, event, X[:, 0])
    assert res.coef.shape == (1, 1) and res.loglik.shape == (1,)
    assert_matches_lifelines(res, 0, time, event, X)


@pytest.mark.parametrize("p", [1, 4])
def test_heavily_tied_times_match_lifelines(p):
    rng = np.random.default_rng(10 + p)
    time, event, X = simulate(rng, 250, p, tied=True)
    assert np.unique(time[event > 0]).size < event.sum() / 3     # really heavy ties
    res = fit_cox(time, event, X)
    assert_matches_lifelines(res, 0, time, event, X)


def test_several_replicates_in_one_batch_each_match_lifelines():
    rng = np.random.default_rng(7)
    B, n, p = 5, 150, 3
    data = [simulate(rng, n, p, tied=(b % 2 == 0), censor=10.0 + 10 * b) for b in range(B)]
    time = np.stack([d[0] for d in data])
    event = np.stack([d[1] for d in data])
    X = np.stack([d[2] for d in data])
    res = fit_cox_batch(time, event, X, chunk_size=2)          # replicates span chunks
    assert res.coef.shape == (B, p) and res.n_iter.shape == (B,)
    for b in range(B):
        assert_matches_lifelines(res, b, time[b], event[b], X[b])


# --------------------------------------------------------------------------- Breslow vs statsmodels


@pytest.mark.parametrize("p,tied", [(1, True), (3, True), (2, False)])
def test_breslow_matches_statsmodels(p, tied):
    rng = np.random.default_rng(20 + p)
    time, event, X = simulate(rng, 250, p, tied=tied)
    res = fit_cox(time, event, X, ties="breslow")
    ref = sm.PHReg(time, X, status=event, ties="breslow").fit()
    assert res.converged[0]
    np.testing.assert_allclose(res.coef[0], ref.params, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.se[0], ref.bse, rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.loglik[0], ref.llf, rtol=0, atol=ATOL)


def test_efron_equals_breslow_without_ties():
    rng = np.random.default_rng(3)
    time, event, X = simulate(rng, 200, 2)
    a, b = fit_cox(time, event, X), fit_cox(time, event, X, ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-12)
    np.testing.assert_allclose(a.loglik, b.loglik, atol=1e-10)


# --------------------------------------------------------------------------- degenerate replicates


def test_no_events_and_separation_flagged_without_disturbing_others():
    rng = np.random.default_rng(5)
    B, n, p = 5, 120, 2
    data = [simulate(rng, n, p, tied=True) for _ in range(B)]
    time = np.stack([d[0] for d in data])
    event = np.stack([d[1] for d in data])
    X = np.stack([d[2] for d in data])
    event[1] = 0                                                  # no events
    early = time[3] < np.median(time[3])                          # complete separation:
    X[3, :, 0] = early.astype(float)                              # x0 = 1 exactly for the
    event[3] = 1.0                                                # earliest half
    with warnings.catch_warnings():
        warnings.simplefilter("error")                            # no numpy warnings leak
        res = fit_cox_batch(time, event, X, chunk_size=2)
    assert not res.converged[1] and np.isnan(res.se[1]).all() and np.isnan(res.coef[1]).all()
    assert res.loglik[1] == 0.0
    assert not res.converged[3] and np.isnan(res.se[3]).all()
    for b in (0, 2, 4):
        alone = fit_cox(time[b], event[b], X[b])
        np.testing.assert_allclose(res.coef[b], alone.coef[0], atol=1e-12)
        np.testing.assert_allclose(res.se[b], alone.se[0], atol=1e-12)
        assert_matches_lifelines(res, b, time[b], event[b], X[b])
    frame = res.to_frame()
    assert frame.loc[frame.replicate == 1, "p"].isna().all()


@pytest.mark.parametrize("p", [1, 2])
def test_monotone_likelihood_is_flagged_but_quasi_separation_converges(p):
    rng = np.random.default_rng(9)
    n = 200
    time, event, X = simulate(rng, n, p, tied=True)
    X[:, 0] = 0.0
    X[:30, 0] = 1.0
    event[:30] = 0.0                        # nobody with x0 = 1 has an event: beta0 -> -inf
    res = fit_cox(time, event, X)
    assert not res.converged[0] and np.isnan(res.se[0]).all()
    assert res.coef[0, 0] < -10
    event[0] = 1.0                          # one event: strong but finite effect
    res = fit_cox(time, event, X)
    assert res.converged[0] and res.coef[0, 0] < -1
    assert_matches_lifelines(res, 0, time, event, X)


def test_singular_information_is_flagged():
    rng = np.random.default_rng(6)
    time, event, X = simulate(rng, 100, 2)
    X[:, 1] = 3.0                                                  # constant covariate
    res = fit_cox(time, event, X)
    assert not res.converged[0] and np.isnan(res.se[0]).all()
    dup = np.column_stack([X[:, 0], 2 * X[:, 0]])                 # collinear covariates
    assert not fit_cox(time, event, dup).converged[0]


def test_max_iter_reached_is_not_converged():
    rng = np.random.default_rng(8)
    time, event, X = simulate(rng, 100, 1)
    res = fit_cox_batch(time[None], event[None], X[None], max_iter=1)
    assert not res.converged[0] and res.n_iter[0] == 1 and np.isnan(res.se[0, 0])


# --------------------------------------------------------------------------- input validation


def _good(B=2, n=30, p=2):
    rng = np.random.default_rng(0)
    return rng.exponential(5, (B, n)), (rng.random((B, n)) < 0.6).astype(float), \
        rng.normal(size=(B, n, p))


@pytest.mark.parametrize("arg,mutate", [
    ("event", lambda t, e, X: (t, e[:, :-1], X)),
    ("X", lambda t, e, X: (t, e, X[:, :-1])),
    ("X", lambda t, e, X: (t, e, X[:1])),
    ("time", lambda t, e, X: (t[0], e, X)),
    ("event", lambda t, e, X: (t, np.where(e > 0, 2.0, 0.0), X)),
    ("event", lambda t, e, X: (t, e - 0.5, X)),
    ("time", lambda t, e, X: (-t, e, X)),
    ("time", lambda t, e, X: (np.where(t > 3, np.nan, t), e, X)),
    ("event", lambda t, e, X: (t, np.where(e > 0, np.nan, e), X)),
    ("X", lambda t, e, X: (t, e, np.where(X > 1, np.nan, X))),
    ("X", lambda t, e, X: (t, e, np.where(X > 1, np.inf, X))),
    ("time", lambda t, e, X: (t.astype(str).astype(object) + "d", e, X)),
])
def test_bad_input_raises_value_error_naming_argument(arg, mutate):
    t, e, X = mutate(*_good())
    with pytest.raises(ValueError, match=rf"^{arg}\b"):
        fit_cox_batch(t, e, X)


@pytest.mark.parametrize("kwargs,arg", [
    ({"ties": "exact"}, "ties"), ({"tol": 0.0}, "tol"), ({"max_iter": 0}, "max_iter"),
    ({"chunk_size": 0}, "chunk_size"), ({"n_jobs": 0}, "n_jobs"),
])
def test_bad_options_raise(kwargs, arg):
    with pytest.raises(ValueError, match=rf"^{arg}\b"):
        fit_cox_batch(*_good(), **kwargs)


def test_bad_order_raises():
    t, e, X = _good()
    order = np.argsort(t, axis=1)
    with pytest.raises(ValueError, match=r"^order\b"):
        fit_cox_batch(t, e, X, order=order[:, ::-1])              # descending
    dup = order.copy()
    dup[:, 1] = dup[:, 0]
    with pytest.raises(ValueError, match=r"^order\b"):
        fit_cox_batch(t, e, X, order=dup)
    with pytest.raises(ValueError, match=r"^order\b"):
        fit_cox_batch(t, e, X, order=order[:1])


def test_fit_cox_rejects_batched_input():
    t, e, X = _good()
    with pytest.raises(ValueError, match=r"^time\b"):
        fit_cox(t, e, X)


# --------------------------------------------------------------------------- invariances and API


def test_chunking_threads_order_and_row_shuffles_do_not_change_results():
    rng = np.random.default_rng(11)
    B, n, p = 7, 90, 2
    data = [simulate(rng, n, p, tied=True) for _ in range(B)]
    time = np.stack([d[0] for d in data])
    event = np.stack([d[1] for d in data])
    X = np.stack([d[2] for d in data])
    ref = fit_cox_batch(time, event, X, n_jobs=1)
    for kw in ({"chunk_size": 1}, {"chunk_size": 3, "n_jobs": 2},
               {"order": np.argsort(time, axis=1, kind="stable")}):
        res = fit_cox_batch(time, event, X, **kw)
        np.testing.assert_allclose(res.coef, ref.coef, rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.se, ref.se, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(res.converged, ref.converged)
    perm = np.argsort(rng.random((B, n)), axis=1)
    shuffled = fit_cox_batch(np.take_along_axis(time, perm, 1), np.take_along_axis(event, perm, 1),
                             np.take_along_axis(X, perm[:, :, None], 1))
    np.testing.assert_allclose(shuffled.coef, ref.coef, atol=1e-10)
    np.testing.assert_allclose(shuffled.loglik, ref.loglik, atol=1e-9)


def test_fit_cox_models_equals_separate_calls():
    rng = np.random.default_rng(12)
    B, n, p = 6, 80, 3
    data = [simulate(rng, n, p, tied=True) for _ in range(B)]
    time = np.stack([d[0] for d in data])
    event = np.stack([d[1] for d in data]).astype(bool)          # boolean events are fine
    X = np.stack([d[2] for d in data])
    models = [X[:, :, j] for j in range(p)] + [X, X[:, :, :2]]
    results = fit_cox_models(time, event, models, chunk_size=4)
    assert len(results) == len(models)
    for Xm, res in zip(models, results):
        alone = fit_cox_batch(time, event, Xm)
        np.testing.assert_allclose(res.coef, alone.coef, atol=1e-12)
        np.testing.assert_allclose(res.se, alone.se, atol=1e-12)
        np.testing.assert_allclose(res.loglik, alone.loglik, atol=1e-10)
    with pytest.raises(ValueError, match=r"^models\[1\]"):
        fit_cox_models(time, event, [X, X[:, :-1]])


def test_to_frame_is_tidy_and_consistent():
    rng = np.random.default_rng(13)
    time, event, X = simulate(rng, 150, 2)
    res = fit_cox_batch(np.stack([time, time]), np.stack([event, event]), np.stack([X, X]))
    frame = res.to_frame(["treated", "age"])
    assert list(frame.columns) == ["replicate", "covariate", "coef", "se", "hr", "ci_low",
                                   "ci_high", "z", "p"]
    assert frame.shape == (4, 9)
    assert list(frame.covariate) == ["treated", "age", "treated", "age"]
    row = frame.iloc[1]
    assert row.hr == pytest.approx(np.exp(row.coef))
    assert row.ci_low == pytest.approx(np.exp(row.coef - 1.959963984540054 * row.se))
    assert row.ci_high == pytest.approx(np.exp(row.coef + 1.959963984540054 * row.se))
    assert row.p == pytest.approx(2 * stats.norm.sf(abs(row.coef / row.se)))
    assert list(res.to_frame().covariate[:2]) == ["x0", "x1"]
    with pytest.raises(ValueError, match=r"^names\b"):
        res.to_frame(["only_one"])


def test_result_is_frozen():
    res = fit_cox(*simulate(np.random.default_rng(0), 40, 1)[:2], np.arange(40.0) % 2)
    with pytest.raises(Exception):
        res.coef = None  # type: ignore[misc]
