"""Figures for the hazard ratios, survival medians and the Monte Carlo: one interactive plotly
figure each (see :mod:`helpers.report.figures` for the rules every figure follows).

* :func:`forest`              printed HRs and CIs beside the narrowest CI the data allow and the CI
                              the Monte Carlo gives;
* :func:`km`                  Kaplan-Meier curves with the printed medians and CIs marked;
* :func:`intervals`           per row, a printed value (or interval) against the range a check
                              allows, coloured by the check's verdict;
* :func:`variance_bound`      Wald variance of log HR against the bound 1/d1 + 1/d0;
* :func:`mc_distribution`     simulated distributions with the printed value marked;
* :func:`medians_vs_followup` printed median CIs against the follow-up the design allows.

Each returns a :class:`plotly.graph_objects.Figure`; show it with
:func:`helpers.report.figures.show`.

**Bounded figures.** A reviewer cannot read thousands of rows in one figure, and a figure's JSON
grows with every row it draws (a 50,000-number ledger prints over 6,000 HRs). A figure with one
line per row therefore draws at most :data:`MAX_DRAWN` rows (scatter figures at most
:data:`MAX_POINTS` points): the flagged rows first (by verdict: impossible, implausible,
inconsistent), then the most extreme ones (what the figure says to look for), in the table's
order. Its title then says how many of how many rows are drawn; every row stays in the findings
and in the tables the figure is drawn from. Rows of one kind share one trace (lines separated by
gaps), so a figure's size grows with the rows drawn, not with traces per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import (MAX_ITEMS, NEUTRAL, OKABE_ITO, VERDICT_COLOURS, VERDICT_ORDER,
                      VERDICT_SYMBOLS, layout, notable_positions, verdict_rank)

PRINTED = "#222222"
FEASIBLE = OKABE_ITO["orange"]
SIMULATED = OKABE_ITO["blue"]
FLAG = OKABE_ITO["vermillion"]
OK = OKABE_ITO["bluish_green"]

GROUP_COLOURS = [PRINTED, SIMULATED, FLAG, OKABE_ITO["reddish_purple"], FEASIBLE]


MAX_DRAWN = MAX_ITEMS   # rows a figure with one line per row draws (as helpers.report.figures)
MAX_POINTS = 2000       # points a scatter figure draws of the printed rows
FLAGGED = tuple(VERDICT_ORDER[:3])   # impossible, implausible, inconsistent: drawn first


def _height(n_rows: int) -> int:
    return max(320, 120 + 34 * n_rows)


def _verdict_rank(verdicts) -> np.ndarray:
    """0, 1, 2 for impossible, implausible, inconsistent; 3 for every other verdict (the
    figures' :func:`~helpers.report.figures.verdict_rank`, with every unflagged verdict tied)."""
    return np.minimum(verdict_rank(verdicts), len(FLAGGED))


def _drawn_note(title: str, drawn: int, total: int, what: str = "rows") -> str:
    if drawn >= total:
        return title
    return (f"{title} ({drawn} of {total} {what} drawn: the flagged ones first, then the most "
            f"extreme; all {total} are in the findings and the table drawn from)")


def _log_gap(lo1, hi1, lo2, hi2, log: bool = True) -> np.ndarray:
    """How far apart two intervals lie (positive: disjoint; negative: overlapping), on the log
    scale when ``log``; NaN as -inf (nothing to show)."""
    a = [np.asarray(x, dtype=float) for x in (lo1, hi1, lo2, hi2)]
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            a = [np.log(np.clip(x, 1e-300, None)) for x in a]
    gap = np.maximum(a[2] - a[1], a[0] - a[3])
    return np.where(np.isnan(gap), -np.inf, gap)


def _segments(x0, x1, y, text=None) -> dict:
    """Horizontal segments (x0[i], y[i])-(x1[i], y[i]) as one trace's ``x``, ``y`` (and hover
    ``text``), separated by gaps."""
    n = len(y)
    xs = np.empty(3 * n, dtype=object)
    ys = np.empty(3 * n, dtype=object)
    xs[0::3], xs[1::3], xs[2::3] = list(x0), list(x1), None
    ys[0::3], ys[1::3], ys[2::3] = list(y), list(y), None
    out = {"x": list(xs), "y": list(ys)}
    if text is not None:
        tx = np.empty(3 * n, dtype=object)
        tx[0::3], tx[1::3], tx[2::3] = list(text), list(text), None
        out["text"] = list(tx)
    return out


# --------------------------------------------------------------------------- forest plot


def forest(table: pd.DataFrame, title: str = "Printed hazard ratios", *,
           findings: pd.DataFrame | None = None, max_rows: int = MAX_DRAWN) -> go.Figure:
    """Forest plot. ``table`` has ``label``, ``hr``, ``ci_low``, ``ci_high`` (printed) and optionally
    ``narrowest_low``/``narrowest_high`` (narrowest CI the group sizes allow, centred on the printed
    HR), ``sim_hr``/``sim_ci_low``/``sim_ci_high`` (typical CI in the Monte Carlo) and ``group``
    (estimates of different origin, e.g. printed and refitted, in different colours). Rows are
    drawn top to bottom in the table's order.

    At most ``max_rows`` rows are drawn (:data:`MAX_DRAWN`; the title then says how many of how
    many): rows whose label is the item of a flagged finding in ``findings`` (columns ``item``,
    ``verdict``) first, then rows of the groups after the first (refits beside the printed
    numbers), then printed CIs narrower than the narrowest possible one, then the HRs farthest
    from 1."""
    t = table.reset_index(drop=True)
    if "group" not in t.columns:
        t = t.assign(group="printed HR (95% CI)")
    total = len(t)
    if total > max_rows:
        rank = np.full(total, len(FLAGGED))
        if findings is not None and len(findings) and {"item", "verdict"} <= set(findings.columns):
            worst: dict = {}
            for item, v in zip(findings["item"].tolist(), _verdict_rank(findings["verdict"])):
                worst[item] = min(v, worst.get(item, len(FLAGGED)))
            rank = np.array([worst.get(x, len(FLAGGED)) for x in t["label"].tolist()])
        first_group = t["group"].iloc[0] if total else None
        in_first = (t["group"] == first_group).to_numpy(dtype=float)   # 0: a later group
        with np.errstate(divide="ignore", invalid="ignore"):
            width = np.log(t["ci_high"].astype(float) / t["ci_low"].astype(float)).to_numpy()
            far = -np.abs(np.log(t["hr"].astype(float))).to_numpy()
            if {"narrowest_low", "narrowest_high"} <= set(t.columns):
                bound = np.log(t["narrowest_high"].astype(float)
                               / t["narrowest_low"].astype(float)).to_numpy()
                narrow = np.where(width < bound, 0.0, 1.0)
            else:
                narrow = np.ones(total)
        keep = notable_positions(total, [rank, in_first, narrow, np.nan_to_num(far, nan=0.0)],
                                 max_rows)
        t = t.iloc[keep].reset_index(drop=True)
    groups = list(dict.fromkeys(t["group"]))
    colour = {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}
    y = np.arange(len(t))[::-1].astype(float)
    fig = go.Figure()
    if {"narrowest_low", "narrowest_high"} <= set(t.columns) and len(t):
        lo, hi = t["narrowest_low"].tolist(), t["narrowest_high"].tolist()
        hover = [f"narrowest possible: {a:.2f}-{b:.2f}" for a, b in zip(lo, hi)]
        fig.add_trace(go.Scatter(**_segments(lo, hi, y, hover), mode="lines",
                                 line=dict(color=FEASIBLE, width=12), opacity=0.45,
                                 legendgroup="narrowest",
                                 name="narrowest possible CI (variance bound)",
                                 hovertemplate="%{text}<extra></extra>"))
    if {"sim_ci_low", "sim_ci_high"} <= set(t.columns):
        ok = np.isfinite(t["sim_ci_low"].astype(float).to_numpy())
        if ok.any():
            ts = t[ok]
            lo, hi = ts["sim_ci_low"].tolist(), ts["sim_ci_high"].tolist()
            hover = [f"simulated (median limits): {a:.2f}-{b:.2f}" for a, b in zip(lo, hi)]
            fig.add_trace(go.Scatter(**_segments(lo, hi, y[ok] - 0.25, hover),
                                     mode="lines+markers", line=dict(color=SIMULATED, width=2),
                                     marker=dict(symbol="line-ns-open", size=8),
                                     legendgroup="simulated", name="typical CI in the Monte Carlo",
                                     hovertemplate="%{text}<extra></extra>"))
    for g in groups:
        m = (t["group"] == g).to_numpy()
        tg = t[m]
        fig.add_trace(go.Scatter(
            x=tg["hr"], y=y[m], mode="markers", marker=dict(color=colour[g], size=9, symbol="square"),
            error_x=dict(type="data", symmetric=False, array=tg["ci_high"] - tg["hr"],
                         arrayminus=tg["hr"] - tg["ci_low"], color=colour[g], thickness=2),
            name=g, text=tg["label"], hovertemplate="%{text}<br>HR %{x:.2f}<extra></extra>"))
    fig.add_vline(x=1, line=dict(color="grey", dash="dash"))
    fig.update_layout(xaxis_type="log", yaxis=dict(tickvals=y, ticktext=list(t["label"])))
    return layout(fig, _drawn_note(title, len(t), total), "look for printed CIs narrower than "
                  "the orange band (narrower than the data allow) and CIs on the other side of "
                  "HR = 1 (dashed)", height=_height(len(t)), xaxis_title="hazard ratio (log scale)")


# --------------------------------------------------------------------------- Kaplan-Meier


def km(curves: pd.DataFrame, printed: pd.DataFrame | None = None,
       title: str = "Kaplan-Meier curves of the synthetic cohort", unit: str = "months"
       ) -> go.Figure:
    """KM curves (``curves``: ``endpoint``, ``time``, ``survival``, optional ``lower``/``upper``)
    with the printed medians (``printed``: ``endpoint``, ``median``, optional ``ci_low``/``ci_high``)
    marked as a vertical line and a shaded CI."""
    palette = [SIMULATED, FLAG, OK, OKABE_ITO["reddish_purple"]]
    colors = {ep: c for ep, c in zip(curves["endpoint"].unique(), palette)}
    fig = go.Figure()
    for ep, g in curves.groupby("endpoint", sort=False):
        c = colors[ep]
        if {"lower", "upper"} <= set(g.columns):
            band = g.dropna(subset=["lower", "upper"])
            fig.add_trace(go.Scatter(x=np.r_[band["time"], band["time"][::-1]],
                                     y=np.r_[band["upper"], band["lower"][::-1]], fill="toself",
                                     fillcolor=c, opacity=0.15, line=dict(width=0, shape="hv"),
                                     name=f"{ep}: pointwise 95% band", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["time"], y=g["survival"], mode="lines", name=f"{ep} (synthetic)",
                                 line=dict(color=c, shape="hv")))
    if printed is not None:
        for _, r in printed.iterrows():
            c = colors.get(r["endpoint"], PRINTED)
            if "ci_low" in r and pd.notna(r.get("ci_low")) and pd.notna(r.get("ci_high")):
                fig.add_vrect(x0=r["ci_low"], x1=r["ci_high"], fillcolor=c, opacity=0.08,
                              line_width=0)
            if pd.notna(r["median"]):
                fig.add_trace(go.Scatter(x=[r["median"], r["median"]], y=[0, 1], mode="lines",
                                         line=dict(color=c, dash="dot"),
                                         name=f"printed median {r['endpoint']} {r['median']:g}"))
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dash"))
    fig.update_yaxes(range=[0, 1.02])
    return layout(fig, title, "look for a curve crossing 0.5 (dashed) far from its printed median "
                  "(dotted) and its CI (shaded)", height=460, xaxis_title=f"time ({unit})",
                  yaxis_title="survival probability")


# --------------------------------------------------------------------------- check ranges


def intervals(df: pd.DataFrame, *, label: str, printed_low: str, printed_high: str,
              allowed_low: str, allowed_high: str, verdict: str = "verdict", log: bool = True,
              xlabel: str = "", title: str = "", printed_name: str = "printed",
              allowed_name: str = "allowed by the check", look_for: str = "",
              max_rows: int = MAX_DRAWN) -> go.Figure:
    """Per row: the printed interval (black) against the interval a check allows, coloured by
    the check's verdict (``df[verdict]``; rows without one as "no finding"). On a log axis an
    open printed bound (``<0.001``, lower end 0) is drawn from the smallest value shown.

    At most ``max_rows`` rows are drawn (:data:`MAX_DRAWN`; the title then says how many of how
    many): the flagged verdicts first (impossible, implausible, inconsistent), then the rows
    whose printed interval lies farthest from the allowed one."""
    t = df.reset_index(drop=True).copy()
    total = len(t)
    verdicts = list(t[verdict]) if verdict in t.columns else ["no finding"] * total
    if total > max_rows:
        gap = _log_gap(t[printed_low], t[printed_high], t[allowed_low], t[allowed_high], log)
        keep = notable_positions(total, [_verdict_rank(verdicts), -gap], max_rows)
        t = t.iloc[keep].reset_index(drop=True)
        verdicts = [verdicts[i] for i in keep]
    if log and len(t):
        floor = np.nanmin(np.r_[t[allowed_low], t[printed_high]].astype(float)) / 10
        t[printed_low] = t[printed_low].astype(float).clip(lower=floor)
    y = np.arange(len(t))[::-1].astype(float)
    fig = go.Figure()
    order = list(dict.fromkeys(verdicts))     # legend: verdicts in the order of the rows
    va = np.array(verdicts, dtype=object)
    lo_a, hi_a = t[allowed_low].tolist(), t[allowed_high].tolist()
    for v in order:
        m = va == v
        col = VERDICT_COLOURS.get(v, NEUTRAL)
        lo = [x for x, k in zip(lo_a, m) if k]
        hi = [x for x, k in zip(hi_a, m) if k]
        hover = [f"{allowed_name}: {a:.3g} to {b:.3g} ({v})" for a, b in zip(lo, hi)]
        fig.add_trace(go.Scatter(**_segments(lo, hi, y[m] - 0.15, hover),
                                 mode="lines+markers", line=dict(color=col, width=7),
                                 marker=dict(size=8, color=col, symbol=VERDICT_SYMBOLS.get(v, "circle")),
                                 opacity=0.75, name=f"{allowed_name}: {v}", legendgroup=v,
                                 hovertemplate="%{text}<extra></extra>"))
    if len(t):
        lo, hi = t[printed_low].tolist(), t[printed_high].tolist()
        hover = [f"{printed_name}: {a:.3g} to {b:.3g}" for a, b in zip(lo, hi)]
        fig.add_trace(go.Scatter(**_segments(lo, hi, y + 0.15, hover), mode="lines+markers",
                                 line=dict(color=PRINTED, width=3),
                                 marker=dict(size=7, symbol="diamond", color=PRINTED),
                                 name=printed_name, legendgroup="printed",
                                 hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(xaxis_type="log" if log else "linear",
                      yaxis=dict(tickvals=y, ticktext=list(t[label])))
    return layout(fig, _drawn_note(title, len(t), total), look_for or f"look for rows where the "
                  f"black {printed_name} does not meet the coloured range", height=_height(len(t)),
                  xaxis_title=xlabel)


# --------------------------------------------------------------------------- variance bound


def variance_bound(exp: pd.DataFrame, printed: pd.DataFrame | None = None,
                   title: str = "Wald variance of log HR against the bound 1/d1 + 1/d0", *,
                   max_points: int = MAX_POINTS) -> go.Figure:
    """Simulated fits (``exp`` from :func:`helpers.cohort.montecarlo.variance_bound_experiment`): every
    point must lie on or above the diagonal. ``printed`` (optional: ``label``, ``var_max``,
    ``var_bound``) adds the paper's HRs: largest variance its CI allows against the bound from
    patients (1/n1 + 1/n0). At most ``max_points`` printed rows are drawn (:data:`MAX_POINTS`;
    the title then says how many of how many): those farthest below the diagonal first."""
    total = 0 if printed is None else len(printed)
    if total > max_points:
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.log(printed["var_max"].astype(float).to_numpy()
                           / printed["var_bound"].astype(float).to_numpy())
        printed = printed.iloc[notable_positions(total, [np.nan_to_num(below, nan=np.inf)],
                                                 max_points)]
    lo = float(min(exp["bound_events"].min(), exp["var"].min()))
    hi = float(max(exp["bound_events"].max(), exp["var"].max()))
    if printed is not None and len(printed):
        lo = min(lo, float(printed["var_max"].min()), float(printed["var_bound"].min()))
        hi = max(hi, float(printed["var_max"].max()), float(printed["var_bound"].max()))
    lo, hi = lo / 1.5, hi * 1.5
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="grey", dash="dash"),
                             name="variance = bound"))
    fig.add_trace(go.Scatter(x=exp["bound_events"], y=exp["var"], mode="markers",
                             marker=dict(color=SIMULATED, size=6, opacity=0.6),
                             name=f"simulated fits ({exp['engine'].iloc[0]})",
                             customdata=np.c_[exp["n1"], exp["n0"], exp["d1"], exp["d0"]],
                             hovertemplate="n1 %{customdata[0]}, n0 %{customdata[1]}, d1 "
                                           "%{customdata[2]}, d0 %{customdata[3]}<br>bound %{x:.4f}"
                                           "<br>variance %{y:.4f}<extra></extra>"))
    if printed is not None and len(printed):
        fig.add_trace(go.Scatter(x=printed["var_bound"], y=printed["var_max"], mode="markers",
                                 marker=dict(color=FLAG, size=10, symbol="x"),
                                 name="printed CIs (largest variance allowed vs 1/n1 + 1/n0)",
                                 text=printed["label"],
                                 hovertemplate="%{text}<br>bound %{x:.4f}<br>variance %{y:.4f}"
                                               "<extra></extra>"))
    fig.update_layout(xaxis_type="log", yaxis_type="log")
    return layout(fig, _drawn_note(title, 0 if printed is None else len(printed), total,
                                   "printed CIs"), "look for printed CIs (crosses) below the diagonal: every simulated "
                  "fit lies on or above it", height=500,
                  xaxis_title="bound (1/d1 + 1/d0; printed HRs: 1/n1 + 1/n0)",
                  yaxis_title="Var(log HR)")


# --------------------------------------------------------------------------- Monte Carlo


def mc_distribution(sim: pd.DataFrame, printed: pd.DataFrame, *, value: str, label: str = "item",
                    log: bool = True, xlabel: str = "", title: str = "",
                    max_rows: int = MAX_DRAWN) -> go.Figure:
    """Simulated values per item (``sim``: ``label`` and ``value`` columns) as boxes (quartiles,
    median, whiskers at the 2.5% and 97.5% quantiles) with the printed value (``printed``:
    ``label`` and ``value`` columns) as a diamond. At most ``max_rows`` items are drawn
    (:data:`MAX_DRAWN`; the title then says how many of how many): those whose printed value
    lies farthest beyond the whiskers first."""
    items = list(dict.fromkeys(printed[label]))
    values = dict(list(sim.groupby(label, sort=False)[value])) if len(sim) else {}
    stats = []
    for it in items:
        v = values[it].to_numpy(dtype=float) if it in values else np.array([], dtype=float)
        v = v[np.isfinite(v) & ((v > 0) if log else True)]
        q = np.quantile(v, [0.025, 0.25, 0.5, 0.75, 0.975]) if v.size else [np.nan] * 5
        stats.append({"label": it, "whislo": q[0], "q1": q[1], "med": q[2], "q3": q[3], "whishi": q[4]})
    st = pd.DataFrame(stats, columns=["label", "whislo", "q1", "med", "q3", "whishi"])
    total = len(items)
    if total > max_rows:
        first = printed.drop_duplicates(label).set_index(label)["value"].reindex(items)
        gap = _log_gap(first, first, st["whislo"], st["whishi"], log)
        keep = notable_positions(total, [-gap], max_rows)
        items = [items[i] for i in keep]
        st = st.iloc[keep].reset_index(drop=True)
        printed = printed[printed[label].isin(set(items))]
    fig = go.Figure(go.Box(y=st["label"], q1=st["q1"], median=st["med"], q3=st["q3"],
                           lowerfence=st["whislo"], upperfence=st["whishi"], orientation="h",
                           marker_color=SIMULATED, name="simulated (quartiles; 2.5-97.5%)"))
    fig.add_trace(go.Scatter(x=printed["value"], y=printed[label], mode="markers",
                             marker=dict(color=FLAG, size=11, symbol="diamond"), name="printed",
                             hovertemplate="printed %{x:.4g}<extra></extra>"))
    fig.update_layout(xaxis_type="log" if log else "linear",
                      yaxis=dict(autorange="reversed", categoryorder="array", categoryarray=items))
    return layout(fig, _drawn_note(title, len(items), total, "items"), "look for printed values "
                  "(diamonds) beyond the whiskers: rare in "
                  "cohorts like the paper's", height=_height(len(items)), xaxis_title=xlabel)


def medians_vs_followup(ledger, findings: pd.DataFrame | None = None) -> go.Figure | None:
    """Printed median CIs against the potential follow-up the design allows (uniform accrual),
    coloured by the verdicts of the ``median_followup`` findings (``findings``; without them
    every row is "no finding"). None when the ledger has no accrual window/cut-off or no median
    with a CI."""
    from ..checks.survival import distinct_medians
    from ..ledger.followup import study_followup

    fu = study_followup(ledger)
    med = distinct_medians(ledger)
    med = med[med["ci_low"] != ""] if len(med) else med
    if fu is None or not len(med):
        return None
    verdicts = []
    for _, r in med.iterrows():
        v = "no finding"
        if findings is not None and len(findings):
            f = findings[(findings["check"] == "median_followup")
                         & (findings["quantity"] == r["quantity"])]
            f = f[[str(r["center"]) in str(p) for p in f["printed"]]] if len(f) > 1 else f
            if len(f):
                v = f["verdict"].iloc[0]
        verdicts.append(v)
    shown = pd.DataFrame({"label": [f"{r.endpoint} {r.center} ({r.ci_low}-{r.ci_high})"
                                    for r in med.itertuples()],
                          "low": [float(x) for x in med["ci_low"]],
                          "high": [float(x) for x in med["ci_high"]],
                          "fu_low": fu.min_fu, "fu_high": fu.max_fu, "verdict": verdicts})
    return intervals(shown, label="label", printed_low="low", printed_high="high",
                     allowed_low="fu_low", allowed_high="fu_high", log=False,
                     xlabel=f"time ({fu.unit})", printed_name="printed CI of the median",
                     allowed_name="potential follow-up (uniform accrual)",
                     title="Printed medians against the follow-up the design allows",
                     look_for="look for a printed CI reaching past the longest possible follow-up")
