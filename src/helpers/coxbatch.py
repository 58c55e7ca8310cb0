"""Batched Cox proportional-hazards fits for Monte Carlo work.

``fit_cox_batch`` fits the same Cox model to ``B`` replicate data sets at once:
Newton-Raphson with step-halving, vectorised across replicates with numpy only.
Ties are handled by Efron's approximation (Efron 1977, JASA 72:557-565) or by
Breslow's; the score and observed information follow Therneau & Grambsch (2000),
*Modeling Survival Data*, ch. 3.  Results agree with ``lifelines.CoxPHFitter``
(Efron) and ``statsmodels`` ``PHReg`` (Breslow) to about 1e-9.

How it is fast: each replicate is sorted by time once (descending), so every risk
set is a prefix and its sums S0, S1, S2 are cumulative sums read at the last row of
each tie group.  Efron's correction needs, per tied event group, the sums over the
group's events; these come from a cumulative sum over the (padded) list of events.
Everything after that is per event: the ``l``-th of ``d`` tied events uses the
denominator ``S0 - (l/d) S0_D``, so no loop over groups or replicates is needed.
Replicates are processed in chunks (``chunk_size``), so working memory is bounded and
total memory is linear in ``B``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = ["BatchCoxResult", "fit_cox_batch", "fit_cox"]

_Z975 = 1.959963984540054  # standard normal 97.5% quantile
_EPS = np.finfo(np.float64).eps
# Working arrays of one chunk are (K, chunk, n) float64 with K = 1 + p + p(p+1)/2.
# This many elements per such array keeps a chunk inside the CPU caches.
_CHUNK_ELEMENTS = 1 << 19


@dataclass(frozen=True)
class BatchCoxResult:
    """Per-replicate Cox fits.

    ``coef`` and ``se`` are ``(B, p)``; ``loglik``, ``converged`` and ``n_iter`` are
    ``(B,)``.  ``se`` is NaN where ``converged`` is False.  Replicates without events
    have NaN ``coef`` and ``loglik`` 0 (the empty partial likelihood).
    """

    coef: np.ndarray
    se: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray

    def to_frame(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy table, one row per (replicate, covariate), with 95% Wald intervals."""
        coef = np.asarray(self.coef, dtype=float)
        B, p = coef.shape
        if names is None:
            names = [f"x{j}" for j in range(p)]
        names = list(names)
        if len(names) != p:
            raise ValueError(f"names: expected {p} names, got {len(names)}")
        se = np.asarray(self.se, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = coef / se
            pval = 2.0 * ndtr(-np.abs(z))
            frame = pd.DataFrame({
                "replicate": np.repeat(np.arange(B), p),
                "covariate": np.tile(np.asarray(names, dtype=object), B),
                "coef": coef.ravel(),
                "se": se.ravel(),
                "hr": np.exp(coef).ravel(),
                "ci_low": np.exp(coef - _Z975 * se).ravel(),
                "ci_high": np.exp(coef + _Z975 * se).ravel(),
                "z": z.ravel(),
                "p": np.asarray(pval).ravel(),
            })
        return frame


# --------------------------------------------------------------------------- input


def _float_array(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not convertible to a float array ({exc})") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _check_inputs(time, event, X, ties, tol, max_iter, chunk_size, order):
    time = _float_array(time, "time")
    event = _float_array(event, "event")
    X = _float_array(X, "X")
    if time.ndim != 2:
        raise ValueError(f"time: expected a 2-D array (B, n), got shape {time.shape}")
    B, n = time.shape
    if n == 0:
        raise ValueError("time: needs at least one subject per replicate (n >= 1)")
    if event.shape != time.shape:
        raise ValueError(f"event: shape {event.shape} does not match time's {time.shape}")
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3 or X.shape[:2] != time.shape:
        raise ValueError(f"X: expected shape (B, n, p) or (B, n) with (B, n) = {time.shape}, "
                         f"got {X.shape}")
    if X.shape[2] == 0:
        raise ValueError("X: needs at least one covariate (p >= 1)")
    if (time < 0).any():
        raise ValueError("time: must be non-negative")
    if not ((event == 0) | (event == 1)).all():
        raise ValueError("event: must be 0/1 (or boolean)")
    if not isinstance(ties, str) or ties.lower() not in ("efron", "breslow"):
        raise ValueError(f"ties: must be 'efron' or 'breslow', got {ties!r}")
    if not (isinstance(tol, (int, float, np.floating)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol: must be a positive number, got {tol!r}")
    if not (isinstance(max_iter, (int, np.integer)) and not isinstance(max_iter, bool)
            and max_iter >= 1):
        raise ValueError(f"max_iter: must be a positive integer, got {max_iter!r}")
    if chunk_size is not None and not (isinstance(chunk_size, (int, np.integer))
                                       and not isinstance(chunk_size, bool) and chunk_size >= 1):
        raise ValueError(f"chunk_size: must be None or a positive integer, got {chunk_size!r}")
    if order is not None:
        order = np.asarray(order)
        if order.shape != time.shape or not np.issubdtype(order.dtype, np.integer):
            raise ValueError(f"order: expected an integer array of shape {time.shape}")
        if B and ((order < 0).any() or (order >= n).any()):
            raise ValueError("order: indices out of range")
        seen = np.zeros((B, n), dtype=bool)
        seen[np.arange(B)[:, None], order] = True
        if not seen.all():
            raise ValueError("order: each row must be a permutation of 0..n-1")
        if n > 1 and (np.diff(np.take_along_axis(time, order, axis=1), axis=1) < 0).any():
            raise ValueError("order: does not sort time ascending within each replicate")
    return time, event, X, ties.lower(), order


# --------------------------------------------------------------------------- linear algebra


def _cholesky(H: np.ndarray):
    """Batched Cholesky of (m, p, p) information matrices; ``ok`` False if not positive definite."""
    m, p, _ = H.shape
    L = np.zeros_like(H)
    ok = np.isfinite(H).all(axis=(1, 2))
    for j in range(p):
        s = H[:, j, j] - np.einsum("ij,ij->i", L[:, j, :j], L[:, j, :j])
        good = s > 1e-12 * np.abs(H[:, j, j])
        good &= s > 0
        ok &= good
        L[:, j, j] = np.sqrt(np.where(good, s, 1.0))
        for i in range(j + 1, p):
            L[:, i, j] = (H[:, i, j] - np.einsum("ij,ij->i", L[:, i, :j], L[:, j, :j])) / L[:, j, j]
    return L, ok


def _chol_solve(L: np.ndarray, g: np.ndarray) -> np.ndarray:
    m, p, _ = L.shape
    y = np.empty_like(g)
    for i in range(p):
        y[:, i] = (g[:, i] - np.einsum("ij,ij->i", L[:, i, :i], y[:, :i])) / L[:, i, i]
    x = np.empty_like(g)
    for i in range(p - 1, -1, -1):
        x[:, i] = (y[:, i] - np.einsum("ij,ij->i", L[:, i + 1:, i], x[:, i + 1:])) / L[:, i, i]
    return x


def _inv_diag(L: np.ndarray) -> np.ndarray:
    """diag((L L^T)^-1) = column sums of squares of L^-1."""
    m, p, _ = L.shape
    Linv = np.zeros_like(L)
    for j in range(p):
        Linv[:, j, j] = 1.0 / L[:, j, j]
        for i in range(j + 1, p):
            Linv[:, i, j] = -np.einsum("ik,ik->i", L[:, i, j:i], Linv[:, j:i, j]) / L[:, i, i]
    return (Linv ** 2).sum(axis=1)


def _solve(H: np.ndarray, g: np.ndarray):
    """Newton step H^-1 g for each replicate, and whether H was positive definite."""
    if H.shape[1] == 1:
        h = H[:, 0, 0]
        ok = np.isfinite(h) & (h > 0)
        return g / np.where(ok, h, 1.0)[:, None], ok
    L, ok = _cholesky(H)
    return _chol_solve(L, g), ok


def _se(H: np.ndarray) -> np.ndarray:
    if H.shape[1] == 1:
        return np.sqrt(1.0 / H[:, 0, :])
    L, ok = _cholesky(H)
    se = np.sqrt(_inv_diag(L))
    se[~ok] = np.nan
    return se


# --------------------------------------------------------------------------- one chunk


class _Chunk:
    """Sorted data and tie structure of a set of replicates; evaluates loglik, score, information."""

    def __init__(self, time, event, X, order, efron: bool):
        Bc, n, p = X.shape
        self.n, self.p = n, p
        if order is None:
            desc = np.argsort(-time, axis=1, kind="stable")
        else:
            desc = order[:, ::-1]
        rows = np.arange(Bc)[:, None]
        flat = (desc + rows * n).ravel()
        ts = time.ravel()[flat].reshape(Bc, n)
        ev = event.ravel()[flat].reshape(Bc, n) > 0.5
        # Covariates, sorted, centred, component-major: Z = [1, x_1..x_p, x_a x_b (a <= b)].
        pairs = [(a, b) for a in range(p) for b in range(a, p)]
        K = 1 + p + len(pairs)
        Z = np.empty((K, Bc, n))
        Z[0] = 1.0
        for j in range(p):
            xj = X[:, :, j].ravel()[flat].reshape(Bc, n)
            Z[1 + j] = xj - xj.mean(axis=1, keepdims=True)
        for q, (a, b) in enumerate(pairs):
            np.multiply(Z[1 + a], Z[1 + b], out=Z[1 + p + q])
        self.pairs = pairs
        self.K = K
        # Last row of each tie group (descending order): risk set of row j = rows 0..hi[j].
        last = np.empty((Bc, n), dtype=bool)
        last[:, :-1] = ts[:, :-1] != ts[:, 1:]
        last[:, -1] = True
        hi = np.where(last, np.arange(n), n)
        hi = np.minimum.accumulate(hi[:, ::-1], axis=1)[:, ::-1]
        # Padded event list: (Bc, E) positions of events, in time order.
        nev = ev.sum(axis=1)
        E = int(nev.max()) if Bc else 0
        E = max(E, 1)
        r, c = np.nonzero(ev)
        rank = (np.cumsum(ev, axis=1) - 1)[r, c]
        mask = np.zeros((Bc, E))
        mask[r, rank] = 1.0
        ridx = np.full((Bc, E), n, dtype=np.intp)      # index into zero-padded cumsum
        ridx[r, rank] = hi[r, c] + 1
        epos = np.zeros((Bc, E), dtype=np.intp)
        epos[r, rank] = c
        self.nev = nev
        self.mask = mask
        self.ridx = ridx
        self.epos = epos
        self.Z = Z
        self.xsum = np.einsum("kbn,bn->bk", Z[1:1 + p], ev.astype(np.float64))
        # Efron: l/d for the l-th (0-based) of d tied events; 0 for untied events / Breslow.
        self.efron = False
        if efron and E > 1:
            key = np.where(mask > 0, ridx, n + 1 + np.arange(E))   # padding: own singleton groups
            start = np.ones((Bc, E), dtype=bool)
            start[:, 1:] = key[:, 1:] != key[:, :-1]
            stop = np.ones((Bc, E), dtype=bool)
            stop[:, :-1] = start[:, 1:]
            k = np.arange(E)
            gfirst = np.maximum.accumulate(np.where(start, k, 0), axis=1)
            glast = np.minimum.accumulate(np.where(stop, k, E)[:, ::-1], axis=1)[:, ::-1]
            d = glast - gfirst + 1
            if (d > 1).any():
                self.efron = True
                self.frac = (k - gfirst) / d
                self.gfirst = gfirst
                self.glast1 = glast + 1
        self._index()

    def _index(self):
        Bc, E = self.mask.shape
        rows = np.arange(Bc)[:, None]
        self.fidx = (self.ridx + rows * (self.n + 1)).ravel()
        if self.efron:
            self.eflat = (self.epos + rows * self.n).ravel()
            self.gf = (self.gfirst + rows * (E + 1)).ravel()
            self.gl = (self.glast1 + rows * (E + 1)).ravel()

    def subset(self, keep: np.ndarray) -> None:
        """Drop replicates that have finished (keep: bool of current length)."""
        self.Z = np.ascontiguousarray(self.Z[:, keep])
        self.xsum = self.xsum[keep]
        self.nev = self.nev[keep]
        self.mask = self.mask[keep]
        self.ridx = self.ridx[keep]
        self.epos = self.epos[keep]
        if self.efron:
            self.frac = self.frac[keep]
            self.gfirst = self.gfirst[keep]
            self.glast1 = self.glast1[keep]
        self._index()

    def evaluate(self, beta: np.ndarray):
        """Partial loglik (Bc,), score (Bc, p) and observed information (Bc, p, p) at beta."""
        Z, p, n, K = self.Z, self.p, self.n, self.K
        Bc, E = self.mask.shape
        eta = Z[1] * beta[:, 0:1]
        for j in range(1, p):
            eta += Z[1 + j] * beta[:, j:j + 1]
        m = eta.max(axis=1, keepdims=True)
        eta -= m
        w = np.exp(eta, out=eta)
        W = Z * w                                             # (K, Bc, n)
        C = np.empty((K, Bc, n + 1))
        C[:, :, 0] = 0.0
        np.cumsum(W, axis=2, out=C[:, :, 1:])
        S = C.reshape(K, -1)[:, self.fidx].reshape(K, Bc, E)  # risk-set sums at each event
        if self.efron:
            We = W.reshape(K, -1)[:, self.eflat].reshape(K, Bc, E)
            CE = np.empty((K, Bc, E + 1))
            CE[:, :, 0] = 0.0
            np.cumsum(We, axis=2, out=CE[:, :, 1:])
            CE = CE.reshape(K, -1)
            SD = (CE[:, self.gl] - CE[:, self.gf]).reshape(K, Bc, E)
            SD *= self.frac
            S -= SD
        mask = self.mask
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            den = S[0]
            inv = mask / den
            A = S[1:1 + p] / den                             # (p, Bc, E) weighted means
            ll = (self.xsum * beta).sum(axis=1) - self.nev * m[:, 0] \
                - (np.log(den) * mask).sum(axis=1)
            g = self.xsum - np.einsum("kbe,be->bk", A, mask)
            H = np.empty((Bc, p, p))
            Sq = np.einsum("qbe,be->bq", S[1 + p:], inv)
            for q, (a, b) in enumerate(self.pairs):
                v = Sq[:, q] - np.einsum("be,be,be->b", A[a], A[b], mask)
                H[:, a, b] = v
                H[:, b, a] = v
        return ll, g, H


def _fit_chunk(time, event, X, order, efron, tol, max_iter):
    Bc, n, p = X.shape
    ch = _Chunk(time, event, X, order, efron)
    coef = np.zeros((Bc, p))
    se = np.full((Bc, p), np.nan)
    loglik = np.zeros(Bc)
    converged = np.zeros(Bc, dtype=bool)
    n_iter = np.zeros(Bc, dtype=np.int64)

    has_ev = ch.nev > 0
    coef[~has_ev] = np.nan
    if not has_ev.all():
        ch.subset(has_ev)
    idx = np.flatnonzero(has_ev)          # original positions of the working set
    if idx.size == 0:
        return coef, se, loglik, converged, n_iter

    beta = np.zeros((idx.size, p))
    ll, g, H = ch.evaluate(beta)
    delta, ok = _solve(H, g)
    trial = beta + delta
    done = ~ok | (np.abs(delta).max(axis=1) < tol)
    conv = ok & done
    beta[conv] = trial[conv]
    it = np.zeros(idx.size, dtype=np.int64)

    def finish(sel):
        nonlocal idx, beta, ll, g, H, trial, it, conv, done
        pos = idx[sel]
        coef[pos] = beta[sel]
        loglik[pos] = ll[sel]
        n_iter[pos] = it[sel]
        c = conv[sel]
        converged[pos] = c
        if c.any():
            se[pos[c]] = _se(H[sel][c])
        keep = ~sel
        idx, beta, ll, g, H, trial, it, conv, done = (
            a[keep] for a in (idx, beta, ll, g, H, trial, it, conv, done))
        if idx.size:
            ch.subset(keep)

    while True:
        if done.any():
            finish(done)
        if idx.size == 0:
            break
        # Also stop replicates that have used up their iterations.
        out = it >= max_iter
        if out.any():
            done = out.copy()
            conv = np.zeros_like(done)
            finish(done)
            if idx.size == 0:
                break
        ll_t, g_t, H_t = ch.evaluate(trial)
        it += 1
        accept = np.isfinite(ll_t) & (ll_t >= ll - 8 * _EPS * np.abs(ll))
        accept &= np.isfinite(g_t).all(axis=1)
        done = np.zeros(idx.size, dtype=bool)
        conv = np.zeros(idx.size, dtype=bool)
        if accept.any():
            a = accept
            beta[a], ll[a], g[a], H[a] = trial[a], ll_t[a], g_t[a], H_t[a]
            d, ok = _solve(H_t[a], g_t[a])
            small = np.abs(d).max(axis=1) < tol
            fin = ~ok | small
            ai = np.flatnonzero(a)
            done[ai] = fin
            conv[ai] = ok & small
            trial[a] = beta[a] + d
            # Converged: keep the final (tiny) Newton step; loglik and information at
            # beta are then off by O(step^2) and O(step) only.
            cv = conv
            beta[cv] = trial[cv]
        rej = ~accept
        if rej.any():
            # Step-halving towards the last accepted point.
            trial[rej] = 0.5 * (beta[rej] + trial[rej])
            tiny = np.abs(trial[rej] - beta[rej]).max(axis=1) < tol
            ri = np.flatnonzero(rej)
            done[ri] = tiny                  # cannot improve: not converged
    return coef, se, loglik, converged, n_iter


# --------------------------------------------------------------------------- public API


def fit_cox_batch(time, event, X, *, ties: str = "efron", tol: float = 1e-9,
                  max_iter: int = 50, chunk_size: int | None = None,
                  order=None) -> BatchCoxResult:
    """Fit one Cox model to each of ``B`` replicate data sets.

    Parameters
    ----------
    time, event : (B, n) arrays; ``event`` is 0/1 (1 = event, 0 = censored).
    X : (B, n, p) covariates, or (B, n) for a single covariate.
    ties : ``"efron"`` (Efron 1977, JASA 72:557) or ``"breslow"``.
    tol : convergence when the largest Newton step ``|I^-1 U|`` is below ``tol``.
    max_iter : Newton iterations (including halved steps) per replicate.
    chunk_size : replicates per chunk (default: sized to keep a chunk in cache).
    order : optional (B, n) integer array with ``time[b, order[b]]`` ascending,
        e.g. ``np.argsort(time, axis=1)``; pass it to reuse one sort across models.

    Newton-Raphson with step-halving on the partial likelihood; score and observed
    information as in Therneau & Grambsch (2000), ch. 3.  Replicates without events,
    with a singular information matrix or that do not converge (e.g. monotone
    likelihood from separation) get ``converged=False`` and NaN ``se``; they never raise.
    """
    time, event, X, ties, order = _check_inputs(time, event, X, ties, tol, max_iter,
                                                chunk_size, order)
    B, n, p = X.shape
    coef = np.full((B, p), np.nan)
    se = np.full((B, p), np.nan)
    loglik = np.full(B, np.nan)
    converged = np.zeros(B, dtype=bool)
    n_iter = np.zeros(B, dtype=np.int64)
    if chunk_size is None:
        K = 1 + p + p * (p + 1) // 2
        chunk_size = max(8, _CHUNK_ELEMENTS // (K * (n + 1)))
    efron = ties == "efron"
    with np.errstate(all="ignore"):
        for s in range(0, B, chunk_size):
            e = min(B, s + chunk_size)
            res = _fit_chunk(time[s:e], event[s:e], X[s:e],
                             None if order is None else order[s:e], efron, tol, max_iter)
            coef[s:e], se[s:e], loglik[s:e], converged[s:e], n_iter[s:e] = res
    return BatchCoxResult(coef=coef, se=se, loglik=loglik, converged=converged, n_iter=n_iter)


def fit_cox(time, event, X, ties: str = "efron") -> BatchCoxResult:
    """Fit one Cox model to one data set: ``time``, ``event`` (n,), ``X`` (n, p) or (n,).

    Convenience wrapper around :func:`fit_cox_batch` with ``B = 1``.
    """
    time = _float_array(time, "time")
    event = _float_array(event, "event")
    X = _float_array(X, "X")
    if time.ndim != 1:
        raise ValueError(f"time: expected a 1-D array (n,), got shape {time.shape}")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (n, p) or (n,), got {X.shape}")
    return fit_cox_batch(time[None], event[None], X[None], ties=ties)
