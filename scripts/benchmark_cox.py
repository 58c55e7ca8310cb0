#!/usr/bin/env python
"""Benchmark helpers.cohort.coxbatch against lifelines and R's survival::coxph.

Simulates ``--n-sim`` cohorts of ``--n`` patients (exponential event times, random
exponential censoring plus administrative censoring at 60 months, times rounded to
``--decimals`` so there are ties; ``--n-uni`` covariates alternating binary and
continuous).  Each cohort gets ``--n-uni`` univariable models and one multivariable
model on the first ``--p-multi`` covariates.  Prints, in one run, fits/second of

* the batched solver on all models (``fit_cox_models``; threads and 1 thread),
* lifelines ``CoxPHFitter`` on a subsample (``--lifelines-fits``), extrapolated,
* R ``survival::coxph`` in a loop on ``--r-sim`` cohorts (if Rscript and survival load),

the speed ratios, the batched run's peak memory and, with ``--scaling``, time and
memory for n_sim = 1000, 2000, 5000, 10000 (each in a fresh process).

    .venv/bin/python scripts/benchmark_cox.py [--scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

try:
    from helpers.cohort.coxbatch import fit_cox_models
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from helpers.cohort.coxbatch import fit_cox_models

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024


def simulate(n_sim: int, n: int, n_uni: int, p_multi: int, seed: int, decimals: int):
    rng = np.random.default_rng(seed)
    X = np.empty((n_sim, n, n_uni))
    for j in range(n_uni):
        if j % 2 == 0:
            X[:, :, j] = rng.random((n_sim, n)) < 0.4
        else:
            X[:, :, j] = rng.standard_normal((n_sim, n))
    beta = np.linspace(0.5, -0.3, p_multi)
    lp = X[:, :, :p_multi] @ beta
    t = rng.exponential(24.0 * np.exp(-lp))
    c = np.minimum(rng.exponential(48.0, (n_sim, n)), 60.0)
    step = 10.0 ** -decimals
    time_ = np.maximum(np.round(np.minimum(t, c), decimals), step)
    event = (t <= c).astype(np.float64)
    return time_, event, X


def models_of(X: np.ndarray, p_multi: int) -> list[np.ndarray]:
    return [X[:, :, j] for j in range(X.shape[2])] + [X[:, :, :p_multi]]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def time_batched(time_, event, X, p_multi, n_jobs, chunk_size, repeats=1):
    """Best wall time of ``repeats`` runs (and that run's CPU time) over all models."""
    models = models_of(X, p_multi)
    best, cpu, res = np.inf, np.nan, None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = fit_cox_models(time_, event, models, n_jobs=n_jobs, chunk_size=chunk_size)
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, cpu_seconds() - c0
    return best, cpu, res


def traced_peak(time_, event, X, p_multi, n_jobs, chunk_size) -> float:
    """Peak of numpy/Python allocations during one batched call (working memory)."""
    models = models_of(X, p_multi)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    fit_cox_models(time_, event, models, n_jobs=n_jobs, chunk_size=chunk_size)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / MB


def worker(args) -> None:
    """One scaling point in a fresh process; prints JSON."""
    t0 = time.perf_counter()
    time_, event, X = simulate(args.n_sim, args.n, args.n_uni, args.p_multi, args.seed,
                               args.decimals)
    sim_s = time.perf_counter() - t0
    rss_data = rss_mb()
    secs, cpu, res = time_batched(time_, event, X, args.p_multi, args.n_jobs, args.chunk_size,
                                  args.repeats)
    rss_fit = rss_mb()
    peak = traced_peak(time_, event, X, args.p_multi, args.n_jobs, args.chunk_size)
    print(json.dumps(dict(
        n_sim=args.n_sim, fits=args.n_sim * (args.n_uni + 1), seconds=secs, cpu_seconds=cpu,
        sim_seconds=sim_s,
        data_mb=(time_.nbytes + event.nbytes + X.nbytes) / MB, traced_peak_mb=peak,
        maxrss_after_sim_mb=rss_data, maxrss_mb=max(rss_fit, rss_mb()),
        converged=float(np.mean([r.converged.mean() for r in res])))))


def bench_lifelines(time_, event, X, p_multi, n_fits, res):
    try:
        import lifelines
        from lifelines import CoxPHFitter
    except ImportError:
        return None
    import pandas as pd

    n_sim, n, n_uni = X.shape
    n_models = n_uni + 1
    jobs = [(s, m) for s in range(n_sim) for m in range(n_models)][:n_fits]
    frames = []
    for s, m in jobs:
        cols = [m] if m < n_uni else list(range(p_multi))
        df = pd.DataFrame(X[s][:, cols], columns=[f"x{j + 1}" for j in cols])
        df["time"], df["event"] = time_[s], event[s]
        frames.append(df)
    diffs = []
    total = cpu = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (s, m), df in zip(jobs, frames):
            t0, c0 = time.perf_counter(), cpu_seconds()
            cph = CoxPHFitter().fit(df, "time", "event")
            total += time.perf_counter() - t0
            cpu += cpu_seconds() - c0
            diffs.append(np.abs(cph.params_.to_numpy() - res[m].coef[s]).max())
    return dict(version=lifelines.__version__, fits=len(jobs), seconds=total, cpu=cpu,
                max_coef_diff=float(np.max(diffs)))


def bench_r(time_, event, X, p_multi, r_sim, res):
    if shutil.which("Rscript") is None:
        return "R: not installed"
    probe = subprocess.run(
        ["Rscript", "-e", "suppressPackageStartupMessages(library(survival));"
         "cat(R.version$major, R.version$minor, as.character(packageVersion('survival')))"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        return "R: not installed (Rscript found but survival does not load)"
    rmaj, rmin, surv_ver = probe.stdout.split()
    import pandas as pd
    n_sim, n, n_uni = X.shape
    r_sim = min(r_sim, n_sim)
    with tempfile.TemporaryDirectory() as tmp:
        data_csv, out_csv = Path(tmp) / "cohorts.csv", Path(tmp) / "coef.csv"
        df = pd.DataFrame(X[:r_sim].reshape(r_sim * n, n_uni),
                          columns=[f"x{j + 1}" for j in range(n_uni)])
        df.insert(0, "event", event[:r_sim].ravel().astype(int))
        df.insert(0, "time", time_[:r_sim].ravel())
        df.insert(0, "sim", np.repeat(np.arange(r_sim), n))
        df.to_csv(data_csv, index=False, float_format="%.17g")
        run = subprocess.run(["Rscript", str(HERE / "benchmark_cox.R"), str(data_csv),
                              str(n_uni), str(p_multi), str(out_csv)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return f"R: coxph loop failed: {run.stderr.strip()[-500:]}"
        elapsed, cpu, fits = run.stdout.split()[-3:]
        rc = pd.read_csv(out_csv)
    ours = np.array([res[m].coef[s, 0] if m < n_uni else res[m].coef[s, int(t[1:]) - 1]
                     for s, m, t in zip(rc["sim"], rc["model"], rc["term"])])
    return dict(version=f"R {rmaj}.{rmin}, survival {surv_ver}", fits=int(fits),
                seconds=float(elapsed), cpu=float(cpu), cohorts=r_sim,
                max_coef_diff=float(np.max(np.abs(ours - rc["coef"].to_numpy()))))


def scaling(args) -> None:
    print("\nScaling (each n_sim in a fresh process; batched solver, all models):")
    hdr = (f"{'n_sim':>7} {'fits':>8} {'seconds':>8} {'CPU s':>7} {'fits/s':>9} "
           f"{'s/1000 sims':>12} {'traced peak MB':>15} {'data MB':>8} {'max RSS MB':>11}")
    print(hdr)
    for n_sim in (1000, 2000, 5000, 10000):
        cmd = [sys.executable, __file__, "--worker", "--n-sim", str(n_sim), "--n", str(args.n),
               "--n-uni", str(args.n_uni), "--p-multi", str(args.p_multi),
               "--seed", str(args.seed), "--decimals", str(args.decimals),
               "--repeats", str(args.repeats)]
        if args.n_jobs is not None:
            cmd += ["--n-jobs", str(args.n_jobs)]
        if args.chunk_size is not None:
            cmd += ["--chunk-size", str(args.chunk_size)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{n_sim:>7} failed: {out.stderr.strip()[-300:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n_sim']:>7} {r['fits']:>8} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
              f"{r['fits'] / r['seconds']:>9.0f} "
              f"{1000 * r['seconds'] / r['n_sim']:>12.3f} {r['traced_peak_mb']:>15.1f} "
              f"{r['data_mb']:>8.1f} {r['maxrss_mb']:>11.1f}", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-sim", type=int, default=1000, help="synthetic cohorts (default 1000)")
    ap.add_argument("--n", type=int, default=460, help="patients per cohort (default 460)")
    ap.add_argument("--p-multi", type=int, default=4, help="covariates in the multivariable model")
    ap.add_argument("--n-uni", type=int, default=11, help="univariable models per cohort")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--decimals", type=int, default=1, help="round times (ties); default 1")
    ap.add_argument("--lifelines-fits", type=int, default=50, help="lifelines subsample size")
    ap.add_argument("--r-sim", type=int, default=200, help="cohorts given to R (x models each)")
    ap.add_argument("--n-jobs", type=int, default=None, help="threads for the batched solver")
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3, help="batched timing: best of this many")
    ap.add_argument("--scaling", action="store_true", help="add n_sim = 1000..10000 scaling")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not 1 <= args.p_multi <= args.n_uni:
        ap.error("--p-multi must be between 1 and --n-uni")
    if args.worker:
        return worker(args)

    n_models = args.n_uni + 1
    fits = args.n_sim * n_models
    threads = args.n_jobs or len(os.sched_getaffinity(0))
    print(f"Cox benchmark: {args.n_sim} cohorts x {args.n} patients, {args.n_uni} univariable + "
          f"1 multivariable ({args.p_multi} covariates) models = {fits} fits; "
          f"{os.cpu_count()} CPUs; seed {args.seed}; load average {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    time_, event, X = simulate(args.n_sim, args.n, args.n_uni, args.p_multi, args.seed,
                               args.decimals)
    sim_s = time.perf_counter() - t0
    print(f"simulation {sim_s:.2f} s; event rate {event.mean():.2f}; "
          f"tied event times {1 - np.mean([np.unique(t[e > 0]).size / max(e.sum(), 1) for t, e in zip(time_[:50], event[:50])]):.0%}")

    # Batched: warm-up on a few cohorts, then timed runs (best of 3), then memory.
    fit_cox_models(time_[:8], event[:8], models_of(X[:8], args.p_multi))
    rss_before = rss_mb()
    secs, cpu, res = time_batched(time_, event, X, args.p_multi, args.n_jobs, args.chunk_size,
                                  args.repeats)
    secs1, cpu1, _ = time_batched(time_, event, X, args.p_multi, 1, args.chunk_size,
                                  args.repeats)
    # The same fits as separate fit_cox_batch calls (each call sorts the data again).
    from helpers.cohort.coxbatch import fit_cox_batch
    sep = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for Xm in models_of(X, args.p_multi):
            fit_cox_batch(time_, event, Xm, n_jobs=1, chunk_size=args.chunk_size)
        sep = min(sep, time.perf_counter() - t0)
    rss_after = rss_mb()
    peak = traced_peak(time_, event, X, args.p_multi, args.n_jobs, args.chunk_size)
    conv = np.array([r.converged for r in res])
    rows = [(f"batched fit_cox_models, {threads} threads", fits, secs, cpu),
            ("batched fit_cox_models, 1 thread", fits, secs1, cpu1),
            ("batched fit_cox_batch, one call per model, 1 thread", fits, sep, None)]

    lf = bench_lifelines(time_, event, X, args.p_multi, args.lifelines_fits, res)
    rr = bench_r(time_, event, X, args.p_multi, args.r_sim, res)

    print(f"\n{'engine':<58} {'fits':>7} {'seconds':>9} {'fits/s':>9} {'ms/fit':>8}")
    for name, n_fit, s, c in rows:
        print(f"{name:<58} {n_fit:>7} {s:>9.3f} {n_fit / s:>9.0f} {1000 * s / n_fit:>8.3f}"
              + ("" if c is None else f"   (CPU {c:.2f} s)"))
    if lf is None:
        print("lifelines: not installed")
    else:
        name = f"lifelines {lf['version']} CoxPHFitter ({lf['fits']}-fit subsample)"
        print(f"{name:<58} {lf['fits']:>7} {lf['seconds']:>9.3f} "
              f"{lf['fits'] / lf['seconds']:>9.1f} {1000 * lf['seconds'] / lf['fits']:>8.3f}"
              f"   (CPU {lf['cpu']:.2f} s)")
        print(f"{'  extrapolated to all ' + str(fits) + ' fits':<58} {fits:>7} "
              f"{fits * lf['seconds'] / lf['fits']:>9.1f}")
    if isinstance(rr, str):
        print(rr)
    else:
        name = f"R coxph loop ({rr['version']}; {rr['cohorts']} cohorts)"
        print(f"{name:<58} {rr['fits']:>7} {rr['seconds']:>9.3f} "
              f"{rr['fits'] / rr['seconds']:>9.1f} {1000 * rr['seconds'] / rr['fits']:>8.3f}"
              f"   (CPU {rr['cpu']:.2f} s)")
        print(f"{'  extrapolated to all ' + str(fits) + ' fits':<58} {fits:>7} "
              f"{fits * rr['seconds'] / rr['fits']:>9.1f}")

    print("\nSpeed ratios (fits/s of the batched solver over the other engine):")
    for label, s_b in ((f"{threads} threads", secs), ("1 thread", secs1)):
        parts = []
        if lf is not None:
            parts.append(f"vs lifelines {(fits / s_b) / (lf['fits'] / lf['seconds']):.0f}x (target >= 100x)")
        if not isinstance(rr, str):
            parts.append(f"vs R coxph {(fits / s_b) / (rr['fits'] / rr['seconds']):.1f}x (target >= 10x)")
        print(f"  batched, {label}: " + ("; ".join(parts) if parts else "no other engine"))
    # CPU time is less sensitive to other processes on the machine than wall time.
    parts = []
    if lf is not None:
        parts.append(f"vs lifelines {(lf['cpu'] / lf['fits']) / (cpu1 / fits):.0f}x")
    if not isinstance(rr, str):
        parts.append(f"vs R coxph {(rr['cpu'] / rr['fits']) / (cpu1 / fits):.1f}x")
    if parts:
        print("  by CPU time per fit, batched 1 thread: " + "; ".join(parts))
    print(f"\nAll {fits} batched fits in {secs:.2f} s (target < 5 s); "
          f"converged {conv.mean():.2%}; mean Newton iterations "
          f"{np.mean([r.n_iter.mean() for r in res]):.2f}")
    print(f"Agreement: max |coef - lifelines| = "
          f"{'n/a' if lf is None else format(lf['max_coef_diff'], '.1e')} (lifelines defaults "
          f"stop at a relative loglik change of 1e-9; tests/test_coxbatch.py tightens them); "
          f"max |coef - R| = "
          f"{'n/a' if isinstance(rr, str) else format(rr['max_coef_diff'], '.1e')}")
    print(f"Peak memory of the batched run: tracemalloc peak {peak:.1f} MB (working memory of "
          f"the call); process max RSS {rss_after:.0f} MB (before the batched runs "
          f"{rss_before:.0f} MB; data {(time_.nbytes + event.nbytes + X.nbytes) / MB:.0f} MB)")
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.2f} "
          f"(other processes on the machine slow every engine down)")
    if args.scaling:
        scaling(args)


if __name__ == "__main__":
    main()
