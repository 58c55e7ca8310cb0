"""Batched Cox proportional-hazards fits for Monte Carlo work.

``fit_cox_batch`` fits the same Cox model to ``B`` replicate data sets at once:
Newton-Raphson with step-halving, vectorised across replicates with numpy only.
Ties: Efron's approximation (Efron 1977, JASA 72:557-565; the default, as in
``lifelines`` and R's ``coxph``) or Breslow's.  Score and observed information as in
Therneau & Grambsch (2000), *Modeling Survival Data*, Springer, ch. 3.
``fit_cox_models`` fits several models to the same replicates and shares the sorting
and tie structure between them (e.g. 11 univariable models plus one multivariable).

How it is fast: each replicate is sorted by time, descending, once; within a tie group
censored rows come first and events last.  Every risk set is then a prefix, so with
``C`` the cumulative sums over rows of ``w * [1, x, x x']`` (``w = exp(x'beta)``) the
risk-set sums at an event whose tie group ends at row ``hi`` are ``C[hi + 1]``, and the
sums over the group's ``d`` events are ``C[hi + 1] - C[hi + 1 - d]``.  The ``l``-th of
the ``d`` tied events (``l = 0..d-1``) uses ``S - (l/d) S_D`` (Efron), so after one
cumulative sum and two gathers everything is elementwise over a padded (replicate,
event) array: no Python loop over subjects, groups or replicates.  Replicates are
processed in chunks (``chunk_size``), so working memory is bounded and total memory is
linear in ``B``; chunks run on ``n_jobs`` threads (numpy releases the GIL).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = ["BatchCoxResult", "fit_cox_batch", "fit_cox_models", "fit_cox"]

_Z975 = 1.959963984540054  # standard normal 97.5% quantile
_EPS = np.finfo(np.float64).eps
# Default chunk: the (K, models x chunk, n) float64 working arrays, K = 1 + p + p(p+1)/2,
# hold about this many elements each (a few MB: cache-friendly, bounded memory).
_CHUNK_ELEMENTS = 3 << 18
# Information (Cholesky pivot) at the estimate below this fraction of its value at
# beta = 0 means a monotone likelihood (separation), not convergence.
_COLLAPSE = 1e-8


@dataclass(frozen=True)
class BatchCoxResult:
    """Per-replicate Cox fits.

    ``coef`` and ``se`` are ``(B, p)``; ``loglik``, ``converged`` and ``n_iter`` are
    ``(B,)``.  ``se`` is NaN where ``converged`` is False; ``coef`` and ``loglik`` are
    then those of the last accepted iterate.  Replicates without events have NaN
    ``coef`` and ``loglik`` 0 (the empty partial likelihood).
    """

    coef: np.ndarray
    se: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray

    def to_frame(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy table, one row per (replicate, covariate), with 95% Wald intervals and p-values."""
        coef = np.asarray(self.coef, dtype=float)
        se = np.asarray(self.se, dtype=float)
        B, p = coef.shape
        names = [f"x{j}" for j in range(p)] if names is None else list(names)
        if len(names) != p:
            raise ValueError(f"names: expected {p} names, got {len(names)}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = coef / se
            return pd.DataFrame({
                "replicate": np.repeat(np.arange(B), p),
                "covariate": np.tile(np.asarray(names, dtype=object), B),
                "coef": coef.ravel(),
                "se": se.ravel(),
                "hr": np.exp(coef).ravel(),
                "ci_low": np.exp(coef - _Z975 * se).ravel(),
                "ci_high": np.exp(coef + _Z975 * se).ravel(),
                "z": z.ravel(),
                "p": (2.0 * ndtr(-np.abs(z))).ravel(),
            })


# --------------------------------------------------------------------------- input checks


def _float_array(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not convertible to a float array ({exc})") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _check_design(X, name: str, shape: tuple[int, int]) -> np.ndarray:
    X = _float_array(X, name)
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3 or X.shape[:2] != shape:
        raise ValueError(f"{name}: expected shape (B, n, p) or (B, n) with (B, n) = {shape}, "
                         f"got {X.shape}")
    if X.shape[2] == 0:
        raise ValueError(f"{name}: needs at least one covariate (p >= 1)")
    return X


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _check_common(time, event, ties, tol, max_iter, chunk_size, order, n_jobs):
    time = _float_array(time, "time")
    event = _float_array(event, "event")
    if time.ndim != 2:
        raise ValueError(f"time: expected a 2-D array (B, n), got shape {time.shape}")
    if time.shape[1] == 0:
        raise ValueError("time: needs at least one subject per replicate (n >= 1)")
    if event.shape != time.shape:
        raise ValueError(f"event: shape {event.shape} does not match time's {time.shape}")
    if (time < 0).any():
        raise ValueError("time: must be non-negative")
    if not ((event == 0) | (event == 1)).all():
        raise ValueError("event: must be 0/1 (or boolean)")
    if not isinstance(ties, str) or ties.lower() not in ("efron", "breslow"):
        raise ValueError(f"ties: must be 'efron' or 'breslow', got {ties!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) \
            or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol: must be a positive number, got {tol!r}")
    if not _is_int(max_iter) or max_iter < 1:
        raise ValueError(f"max_iter: must be a positive integer, got {max_iter!r}")
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size < 1):
        raise ValueError(f"chunk_size: must be None or a positive integer, got {chunk_size!r}")
    if n_jobs is not None and (not _is_int(n_jobs) or n_jobs < 1):
        raise ValueError(f"n_jobs: must be None or a positive integer, got {n_jobs!r}")
    if order is not None:
        order = np.asarray(order)
        if order.shape != time.shape or not np.issubdtype(order.dtype, np.integer):
            raise ValueError(f"order: expected an integer array of shape {time.shape}")
        if order.size and (order.min() < 0 or order.max() >= time.shape[1]):
            raise ValueError("order: indices out of range")
        order = order.astype(np.intp, copy=False)
    return time, event, ties.lower(), order


# --------------------------------------------------------------------------- linear algebra


def _cholesky(H: np.ndarray):
    """Batched Cholesky of (m, p, p) information matrices; ``ok`` False if not positive definite."""
    m, p, _ = H.shape
    L = np.zeros_like(H)
    ok = np.isfinite(H).all(axis=(1, 2))
    for j in range(p):
        s = H[:, j, j] - np.einsum("ij,ij->i", L[:, j, :j], L[:, j, :j])
        good = (s > 1e-12 * np.abs(H[:, j, j])) & (s > 0)
        ok &= good
        L[:, j, j] = np.sqrt(np.where(good, s, 1.0))
        for i in range(j + 1, p):
            L[:, i, j] = (H[:, i, j] - np.einsum("ij,ij->i", L[:, i, :j], L[:, j, :j])) / L[:, j, j]
    return L, ok


def _chol_solve(L: np.ndarray, g: np.ndarray) -> np.ndarray:
    p = L.shape[1]
    y = np.empty_like(g)
    for i in range(p):
        y[:, i] = (g[:, i] - np.einsum("ij,ij->i", L[:, i, :i], y[:, :i])) / L[:, i, i]
    x = np.empty_like(g)
    for i in range(p - 1, -1, -1):
        x[:, i] = (y[:, i] - np.einsum("ij,ij->i", L[:, i + 1:, i], x[:, i + 1:])) / L[:, i, i]
    return x


def _inv_diag(L: np.ndarray) -> np.ndarray:
    """diag((L L')^-1): column sums of squares of L^-1."""
    p = L.shape[1]
    Linv = np.zeros_like(L)
    for j in range(p):
        Linv[:, j, j] = 1.0 / L[:, j, j]
        for i in range(j + 1, p):
            Linv[:, i, j] = -np.einsum("ik,ik->i", L[:, i, j:i], Linv[:, j:i, j]) / L[:, i, i]
    return (Linv ** 2).sum(axis=1)


def _solve(H: np.ndarray, g: np.ndarray):
    """Newton steps H^-1 g, whether each H is (numerically) positive definite, and the
    Cholesky pivots (conditional information of each covariate given the earlier ones)."""
    if H.shape[1] == 1:
        h = H[:, 0, 0]
        ok = np.isfinite(h) & (h > 0)
        return g / np.where(ok, h, 1.0)[:, None], ok, H[:, 0, :].copy()
    L, ok = _cholesky(H)
    return _chol_solve(L, g), ok, np.einsum("bii->bi", L) ** 2


def _se(H: np.ndarray) -> np.ndarray:
    """sqrt(diag(H^-1)) for a stack of positive definite information matrices."""
    if H.shape[1] == 1:
        return np.sqrt(1.0 / H[:, 0, :])
    L, ok = _cholesky(H)
    se = np.sqrt(_inv_diag(L))
    se[~ok] = np.nan
    return se


# --------------------------------------------------------------------------- risk sets

_local = threading.local()


def _buffer(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A reusable per-thread float64 work array (avoids re-faulting fresh pages on
    every Newton loop, which serialises threads in the kernel)."""
    size = int(np.prod(shape))
    store = _local.__dict__.setdefault("buffers", {})
    buf = store.get(name)
    if buf is None or buf.size < size:
        buf = store[name] = np.empty(size)
    return buf[:size].reshape(shape)



class _RiskSets:
    """Sort order and tie structure of a chunk of replicates, shared by every model.

    ``flat``: flat indices into the chunk's (Bc, n) arrays giving rows sorted by time,
    descending, events after censored rows within a tie group.  Per replicate, a
    padded event list (Bc, E): ``ridx`` = index into the zero-led cumulative sums of the
    event's risk set (``n + 1`` for padding, a column holding [1, 0, ...]); for Efron,
    ``frac = l/d`` and ``low = hi + 1 - d`` of each tied event.
    """

    def __init__(self, time, event, order, efron: bool, check_order: bool):
        Bc, n = time.shape
        self.Bc, self.n = Bc, n
        rn = (np.arange(Bc, dtype=np.intp) * n)[:, None]
        if order is None:
            desc = np.argsort(-time, axis=1, kind="stable")
        else:
            desc = order[:, ::-1]
        flat = (desc + rn).ravel()
        ts = np.take(time, flat).reshape(Bc, n)
        if check_order:
            seen = np.zeros(Bc * n, dtype=bool)
            seen[flat] = True
            if not seen.all():
                raise ValueError("order: each row must be a permutation of 0..n-1")
            if (ts[:, 1:] > ts[:, :-1]).any():
                raise ValueError("order: does not sort time ascending within each replicate")
        ev = np.take(event, flat).reshape(Bc, n) > 0.5
        start = np.empty((Bc, n), dtype=bool)          # first row of a tie group
        start[:, 0] = True
        np.not_equal(ts[:, 1:], ts[:, :-1], out=start[:, 1:])
        if efron and (ev[:, :-1] & ~ev[:, 1:] & ~start[:, 1:]).any():
            key = np.cumsum(start, axis=1)                # put events last within ties
            key *= 2
            key += ev
            perm = (np.argsort(key, axis=1, kind="stable") + rn).ravel()
            flat = flat[perm]
            ev = ev.ravel()[perm].reshape(Bc, n)
        self.flat = flat
        self.ev = ev.astype(np.float64)
        ar = np.arange(n)
        last = np.empty((Bc, n), dtype=bool)
        last[:, :-1] = start[:, 1:]
        last[:, -1] = True
        hi = np.minimum.accumulate(np.where(last, ar, n)[:, ::-1], axis=1)[:, ::-1]

        cev = np.cumsum(ev, axis=1, dtype=np.intp)
        self.nev = cev[:, -1].copy()
        self.E = E = max(int(self.nev.max()) if Bc else 0, 1)
        src = np.flatnonzero(ev)
        r = src // n
        rank = cev.ravel()[src] - 1
        tgt = r * E + rank
        his = hi.ravel()[src]
        ridx = np.full(Bc * E, n + 1, dtype=np.intp)
        ridx[tgt] = his + 1
        self.ridx = ridx.reshape(Bc, E)
        self.frac = self.low = None
        if efron:
            lo = np.maximum.accumulate(np.where(start, ar, 0), axis=1)
            los = lo.ravel()[src] + r * n
            cevf = cev.ravel()
            base = cevf[los] - ev.ravel()[los]             # events before the tie group
            d = cevf[his + r * n] - base
            ell = rank - base
            if (ell > 0).any():
                frac = np.zeros(Bc * E)
                frac[tgt] = ell / d
                low = np.zeros(Bc * E, dtype=np.intp)
                low[tgt] = his + 1 - d
                self.frac, self.low = frac.reshape(Bc, E), low.reshape(Bc, E)

    def design(self, X: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Sorted, centred covariates and their products into ``out`` (K-1, Bc, n); returns
        the per-replicate sums of the events' covariates (Bc, p)."""
        Bc, n = self.Bc, self.n
        p = X.shape[2]
        Xs = np.take(X.reshape(Bc * n, p), self.flat, axis=0)
        for j in range(p):
            xj = Xs[:, j].reshape(Bc, n)
            np.subtract(xj, xj.mean(axis=1, keepdims=True), out=out[j])
        q = p
        for a in range(p):
            for b in range(a, p):
                np.multiply(out[a], out[b], out=out[q])
                q += 1
        return np.einsum("kbn,bn->bk", out[:p], self.ev)


class _Work:
    """Working set of one Newton loop: ``m`` models with ``p`` covariates on the same risk
    sets, stacked as m x Bc replicates.  Evaluates loglik, score and information."""

    def __init__(self, rs: _RiskSets, Xs: Sequence[np.ndarray]):
        m, Bc, n = len(Xs), rs.Bc, rs.n
        p = Xs[0].shape[2]
        self.n, self.p = n, p
        self.pairs = [(a, b) for a in range(p) for b in range(a, p)]
        self.K = K = 1 + p + len(self.pairs)
        self.Z = _buffer("Z", (K - 1, m * Bc, n))
        self.xsum = np.empty((m * Bc, p))
        for i, X in enumerate(Xs):
            sl = slice(i * Bc, (i + 1) * Bc)
            self.xsum[sl] = rs.design(X, self.Z[:, sl])
        self.nev = np.tile(rs.nev, m)
        self.ridx = np.tile(rs.ridx, (m, 1))
        self.frac = None if rs.frac is None else np.tile(rs.frac, (m, 1))
        self.low = None if rs.low is None else np.tile(rs.low, (m, 1))
        self._index()

    def _index(self):
        Bm, E = self.ridx.shape
        n, K = self.n, self.K
        rows = (np.arange(Bm, dtype=np.intp) * (n + 2))[:, None]
        self.fidx = (self.ridx + rows).ravel()
        if self.frac is not None:
            tied = np.flatnonzero(self.frac > 0)
            self.tpos = tied
            self.tfrac = self.frac.ravel()[tied]
            self.tlow = (self.low + rows).ravel()[tied]
        self.W = _buffer("W", (K, Bm, n))
        self.C = _buffer("C", (K, Bm, n + 2))
        self.C[:, :, 0] = 0.0
        self.C[:, :, n + 1] = 0.0
        self.C[0, :, n + 1] = 1.0

    def subset(self, keep: np.ndarray) -> None:
        """Keep only the replicates flagged in ``keep`` (the others have finished)."""
        Z = self.Z[:, keep]
        self.Z = _buffer("Z", Z.shape)
        self.Z[...] = Z
        self.xsum, self.nev, self.ridx = self.xsum[keep], self.nev[keep], self.ridx[keep]
        if self.frac is not None:
            self.frac, self.low = self.frac[keep], self.low[keep]
        self._index()

    def evaluate(self, beta: np.ndarray):
        """Partial loglik (Bm,), score (Bm, p) and observed information (Bm, p, p) at beta."""
        Z, W, C, p, n, K = self.Z, self.W, self.C, self.p, self.n, self.K
        Bm, E = self.ridx.shape
        eta = W[0]
        np.multiply(Z[0], beta[:, 0:1], out=eta)
        for j in range(1, p):
            eta += Z[j] * beta[:, j:j + 1]
        m = eta.max(axis=1, keepdims=True)        # the partial likelihood is shift-invariant
        eta -= m
        np.exp(eta, out=eta)
        np.multiply(Z, eta, out=W[1:])
        np.cumsum(W, axis=2, out=C[:, :, 1:n + 1])
        Cf = C.reshape(K, -1)
        S = np.take(Cf, self.fidx, axis=1)         # (K, Bm*E) risk-set sums at events
        if self.frac is not None and self.tpos.size:
            St = np.take(S, self.tpos, axis=1)     # Efron: S - (l/d) S_D for tied events
            St -= self.tfrac * (St - np.take(Cf, self.tlow, axis=1))
            S[:, self.tpos] = St
        S = S.reshape(K, Bm, E)
        den = S[0]
        inv = 1.0 / den
        ll = (self.xsum * beta).sum(axis=1) - self.nev * m[:, 0] - np.log(den).sum(axis=1)
        A = S[1:1 + p] * inv                       # (p, Bm, E) risk-set weighted means
        g = self.xsum - A.sum(axis=2).T
        Q = np.einsum("qbe,be->qb", S[1 + p:], inv)
        H = np.empty((Bm, p, p))
        for q, (a, b) in enumerate(self.pairs):
            v = Q[q] - np.einsum("be,be->b", A[a], A[b])
            H[:, a, b] = v
            H[:, b, a] = v
        return ll, g, H


def _newton(work: _Work, tol: float, max_iter: int):
    """Newton-Raphson with step-halving for every replicate of ``work``."""
    Bm, p = work.xsum.shape
    coef = np.zeros((Bm, p))
    se = np.full((Bm, p), np.nan)
    loglik = np.zeros(Bm)
    converged = np.zeros(Bm, dtype=bool)
    n_iter = np.zeros(Bm, dtype=np.int64)

    has_ev = work.nev > 0
    coef[~has_ev] = np.nan
    if not has_ev.all():
        work.subset(has_ev)
    idx = np.flatnonzero(has_ev)           # rows of the working set in the output
    if idx.size == 0:
        return coef, se, loglik, converged, n_iter

    ll_slack = max(1.0, np.sqrt(work.n))
    beta = np.zeros((idx.size, p))
    ll, g, H = work.evaluate(beta)
    delta, ok, piv0 = _solve(H, g)
    trial = beta + delta
    conv = ok & (np.abs(delta).max(axis=1) < tol)
    done = ~ok | conv
    beta[conv] = trial[conv]
    it = np.zeros(idx.size, dtype=np.int64)

    def finish(sel):
        nonlocal idx, beta, ll, H, trial, it, conv, piv0
        pos = idx[sel]
        coef[pos] = beta[sel]
        loglik[pos] = ll[sel]
        n_iter[pos] = it[sel]
        c = conv[sel]
        converged[pos] = c
        if c.any():
            se[pos[c]] = _se(H[sel][c])
        keep = ~sel
        idx, beta, ll, H, trial, it, conv, piv0 = (
            a[keep] for a in (idx, beta, ll, H, trial, it, conv, piv0))
        if idx.size:
            work.subset(keep)

    while True:
        if done.any():
            finish(done)
        if idx.size and (it >= max_iter).any():
            conv = np.zeros(idx.size, dtype=bool)
            finish(it >= max_iter)
        if idx.size == 0:
            break
        ll_t, g_t, H_t = work.evaluate(trial)
        it += 1
        # A step may lower loglik by its rounding error: a sum over n rows is exact to about
        # sqrt(n) eps |ll| (8 eps |ll| alone rejects every last tiny step on a large data set,
        # and the fit then stops "not converged" at the maximum).
        accept = np.isfinite(ll_t) & (ll_t >= ll - 8 * _EPS * np.abs(ll) * ll_slack)
        accept &= np.isfinite(g_t).all(axis=1)
        done = np.zeros(idx.size, dtype=bool)
        conv = np.zeros(idx.size, dtype=bool)
        if accept.any():
            a = np.flatnonzero(accept)
            beta[a], ll[a], H[a] = trial[a], ll_t[a], H_t[a]
            d, ok, piv = _solve(H_t[a], g_t[a])
            small = ok & (np.abs(d).max(axis=1) < tol)
            done[a] = ~ok | small
            # Monotone likelihood (separation): beta runs off to infinity while the
            # information collapses, until rounding makes the step look small.  A
            # finite maximum never has information 1e-8 times that at beta = 0.
            conv[a] = small & (piv >= _COLLAPSE * piv0[a]).all(axis=1)
            trial[a] = beta[a] + d
            # Converged: take the last (tiny) step too; loglik and information at the
            # previous point differ by O(step^2) and O(step) only.
            beta[conv] = trial[conv]
        rej = np.flatnonzero(~accept)
        if rej.size:
            # Step-halving towards the last accepted point; a step that cannot be
            # halved any further stops the replicate, not converged.
            trial[rej] = 0.5 * (beta[rej] + trial[rej])
            done[rej] = np.abs(trial[rej] - beta[rej]).max(axis=1) < tol
    return coef, se, loglik, converged, n_iter


# --------------------------------------------------------------------------- drivers


def _n_threads(n_jobs):
    if n_jobs is not None:
        return n_jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _fit_models(time, event, Xs, ties, tol, max_iter, chunk_size, order, n_jobs):
    B, n = time.shape
    out = [dict(coef=np.full((B, X.shape[2]), np.nan), se=np.full((B, X.shape[2]), np.nan),
                loglik=np.full(B, np.nan), converged=np.zeros(B, dtype=bool),
                n_iter=np.zeros(B, dtype=np.int64)) for X in Xs]
    groups: dict[int, list[int]] = {}
    for i, X in enumerate(Xs):
        groups.setdefault(X.shape[2], []).append(i)
    if chunk_size is None:
        width = max(len(ix) * (1 + p + p * (p + 1) // 2) for p, ix in groups.items())
        chunk_size = max(4, _CHUNK_ELEMENTS // (width * (n + 2)))
    efron = ties == "efron"

    def run(s: int, e: int) -> None:
        with np.errstate(all="ignore"):
            rs = _RiskSets(time[s:e], event[s:e], None if order is None else order[s:e],
                           efron, check_order=order is not None)
            for ix in groups.values():
                res = _newton(_Work(rs, [Xs[i][s:e] for i in ix]), tol, max_iter)
                Bc = e - s
                for k, i in enumerate(ix):
                    sl = slice(k * Bc, (k + 1) * Bc)
                    for name, arr in zip(("coef", "se", "loglik", "converged", "n_iter"), res):
                        out[i][name][s:e] = arr[sl]

    starts = list(range(0, B, chunk_size))
    threads = min(_n_threads(n_jobs), len(starts))
    if threads <= 1:
        try:
            for s in starts:
                run(s, min(B, s + chunk_size))
        finally:
            _local.__dict__.pop("buffers", None)      # do not keep work arrays alive
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for f in [pool.submit(run, s, min(B, s + chunk_size)) for s in starts]:
                f.result()
    return [BatchCoxResult(**o) for o in out]


def fit_cox_batch(time, event, X, *, ties: str = "efron", tol: float = 1e-9,
                  max_iter: int = 50, chunk_size: int | None = None,
                  order=None, n_jobs: int | None = None) -> BatchCoxResult:
    """Fit one Cox model to each of ``B`` replicate data sets.

    time, event : (B, n) arrays; ``event`` is 0/1 (1 = event, 0 = censored).
    X : (B, n, p) covariates, or (B, n) for a single covariate.
    ties : ``"efron"`` (Efron 1977, JASA 72:557) or ``"breslow"``.
    tol : converged when the largest Newton step ``|I^-1 U|`` is below ``tol``.
    max_iter : Newton iterations (halved steps included) per replicate.
    chunk_size : replicates per chunk (default: a few MB of working arrays).
    order : optional (B, n) integers with ``time[b, order[b]]`` ascending (e.g.
        ``np.argsort(time, axis=1)``), to reuse one sort across calls.
    n_jobs : threads over chunks (default: available cores).

    Newton-Raphson with step-halving on the partial likelihood; score and observed
    information as in Therneau & Grambsch (2000), ch. 3.  Replicates without events,
    with singular information, or that do not converge (e.g. monotone likelihood under
    separation) get ``converged=False`` and NaN ``se``; they never raise.
    """
    time, event, ties, order = _check_common(time, event, ties, tol, max_iter, chunk_size,
                                             order, n_jobs)
    X = _check_design(X, "X", time.shape)
    return _fit_models(time, event, [X], ties, tol, max_iter, chunk_size, order, n_jobs)[0]


def fit_cox_models(time, event, models: Sequence, *, ties: str = "efron", tol: float = 1e-9,
                   max_iter: int = 50, chunk_size: int | None = None,
                   order=None, n_jobs: int | None = None) -> list[BatchCoxResult]:
    """Fit several Cox models to the same ``B`` replicates, sorting each replicate once.

    ``models`` is a sequence of designs, each (B, n, p_i) or (B, n); e.g. the univariable
    models ``[X[..., j] for j in range(p)]`` plus the multivariable ``X``.  Returns one
    :class:`BatchCoxResult` per model, as :func:`fit_cox_batch` would (same options).
    """
    time, event, ties, order = _check_common(time, event, ties, tol, max_iter, chunk_size,
                                             order, n_jobs)
    if isinstance(models, np.ndarray) or not isinstance(models, Sequence) or not len(models):
        raise ValueError("models: expected a non-empty list of (B, n, p) or (B, n) arrays")
    Xs = [_check_design(X, f"models[{i}]", time.shape) for i, X in enumerate(models)]
    return _fit_models(time, event, Xs, ties, tol, max_iter, chunk_size, order, n_jobs)


def fit_cox(time, event, X, ties: str = "efron", tol: float = 1e-9,
            max_iter: int = 50) -> BatchCoxResult:
    """Fit one Cox model to one data set: ``time``, ``event`` (n,), ``X`` (n, p) or (n,).

    Convenience wrapper around :func:`fit_cox_batch` with ``B = 1`` (same ``tol``, ``max_iter``).
    """
    time = _float_array(time, "time")
    event = _float_array(event, "event")
    X = _float_array(X, "X")
    if time.ndim != 1:
        raise ValueError(f"time: expected a 1-D array (n,), got shape {time.shape}")
    if event.ndim != 1:
        raise ValueError(f"event: expected a 1-D array (n,), got shape {event.shape}")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (n, p) or (n,), got {X.shape}")
    return fit_cox_batch(time[None], event[None], X[None], ties=ties, tol=tol,
                         max_iter=max_iter, n_jobs=1)
