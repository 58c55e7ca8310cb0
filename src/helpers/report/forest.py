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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import NEUTRAL, OKABE_ITO, VERDICT_COLOURS, VERDICT_SYMBOLS, layout

PRINTED = "#222222"
FEASIBLE = OKABE_ITO["orange"]
SIMULATED = OKABE_ITO["blue"]
FLAG = OKABE_ITO["vermillion"]
OK = OKABE_ITO["bluish_green"]

GROUP_COLOURS = [PRINTED, SIMULATED, FLAG, OKABE_ITO["reddish_purple"], FEASIBLE]


def _height(n_rows: int) -> int:
    return max(320, 120 + 34 * n_rows)


# --------------------------------------------------------------------------- forest plot


def forest(table: pd.DataFrame, title: str = "Printed hazard ratios") -> go.Figure:
    """Forest plot. ``table`` has ``label``, ``hr``, ``ci_low``, ``ci_high`` (printed) and optionally
    ``narrowest_low``/``narrowest_high`` (narrowest CI the group sizes allow, centred on the printed
    HR), ``sim_hr``/``sim_ci_low``/``sim_ci_high`` (typical CI in the Monte Carlo) and ``group``
    (estimates of different origin, e.g. printed and refitted, in different colours). Rows are
    drawn top to bottom in the table's order."""
    t = table.reset_index(drop=True)
    if "group" not in t.columns:
        t = t.assign(group="printed HR (95% CI)")
    groups = list(dict.fromkeys(t["group"]))
    colour = {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}
    y = np.arange(len(t))[::-1].astype(float)
    fig = go.Figure()
    if {"narrowest_low", "narrowest_high"} <= set(t.columns):
        for i, r in t.iterrows():
            fig.add_trace(go.Scatter(x=[r["narrowest_low"], r["narrowest_high"]], y=[y[i], y[i]],
                                     mode="lines", line=dict(color=FEASIBLE, width=12),
                                     opacity=0.45, showlegend=i == 0, legendgroup="narrowest",
                                     name="narrowest possible CI (variance bound)",
                                     hovertemplate=f"narrowest possible: {r['narrowest_low']:.2f}-"
                                                   f"{r['narrowest_high']:.2f}<extra></extra>"))
    if {"sim_ci_low", "sim_ci_high"} <= set(t.columns):
        first = True
        for i, r in t.iterrows():
            if not np.isfinite(r["sim_ci_low"]):
                continue
            fig.add_trace(go.Scatter(x=[r["sim_ci_low"], r["sim_ci_high"]], y=[y[i] - 0.25] * 2,
                                     mode="lines+markers", line=dict(color=SIMULATED, width=2),
                                     marker=dict(symbol="line-ns-open", size=8),
                                     showlegend=first, legendgroup="simulated",
                                     name="typical CI in the Monte Carlo",
                                     hovertemplate=f"simulated (median limits): {r['sim_ci_low']:.2f}-"
                                                   f"{r['sim_ci_high']:.2f}<extra></extra>"))
            first = False
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
    return layout(fig, title, "look for printed CIs narrower than the orange band (narrower than "
                  "the data allow) and CIs on the other side of HR = 1 (dashed)",
                  height=_height(len(t)), xaxis_title="hazard ratio (log scale)")


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
              allowed_name: str = "allowed by the check", look_for: str = "") -> go.Figure:
    """Per row: the printed interval (black) against the interval a check allows, coloured by
    the check's verdict (``df[verdict]``; rows without one as "no finding"). On a log axis an
    open printed bound (``<0.001``, lower end 0) is drawn from the smallest value shown."""
    t = df.reset_index(drop=True).copy()
    if log:
        floor = np.nanmin(np.r_[t[allowed_low], t[printed_high]].astype(float)) / 10
        t[printed_low] = t[printed_low].astype(float).clip(lower=floor)
    y = np.arange(len(t))[::-1].astype(float)
    verdicts = list(t[verdict]) if verdict in t.columns else ["no finding"] * len(t)
    fig = go.Figure()
    seen: set[str] = set()
    for i, r in t.iterrows():
        v = verdicts[i]
        col = VERDICT_COLOURS.get(v, NEUTRAL)
        fig.add_trace(go.Scatter(x=[r[allowed_low], r[allowed_high]], y=[y[i] - 0.15] * 2,
                                 mode="lines+markers", line=dict(color=col, width=7),
                                 marker=dict(size=8, color=col, symbol=VERDICT_SYMBOLS.get(v, "circle")),
                                 opacity=0.75, name=f"{allowed_name}: {v}", legendgroup=v,
                                 showlegend=v not in seen,
                                 hovertemplate=f"{allowed_name}: {r[allowed_low]:.3g} to "
                                               f"{r[allowed_high]:.3g} ({v})<extra></extra>"))
        seen.add(v)
        fig.add_trace(go.Scatter(x=[r[printed_low], r[printed_high]], y=[y[i] + 0.15] * 2,
                                 mode="lines+markers", line=dict(color=PRINTED, width=3),
                                 marker=dict(size=7, symbol="diamond", color=PRINTED),
                                 name=printed_name, legendgroup="printed", showlegend=i == 0,
                                 hovertemplate=f"{printed_name}: {r[printed_low]:.3g} to "
                                               f"{r[printed_high]:.3g}<extra></extra>"))
    fig.update_layout(xaxis_type="log" if log else "linear",
                      yaxis=dict(tickvals=y, ticktext=list(t[label])))
    return layout(fig, title, look_for or f"look for rows where the black {printed_name} does not "
                  f"meet the coloured range", height=_height(len(t)), xaxis_title=xlabel)


# --------------------------------------------------------------------------- variance bound


def variance_bound(exp: pd.DataFrame, printed: pd.DataFrame | None = None,
                   title: str = "Wald variance of log HR against the bound 1/d1 + 1/d0"
                   ) -> go.Figure:
    """Simulated fits (``exp`` from :func:`helpers.cohort.montecarlo.variance_bound_experiment`): every
    point must lie on or above the diagonal. ``printed`` (optional: ``label``, ``var_max``,
    ``var_bound``) adds the paper's HRs: largest variance its CI allows against the bound from
    patients (1/n1 + 1/n0)."""
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
    return layout(fig, title, "look for printed CIs (crosses) below the diagonal: every simulated "
                  "fit lies on or above it", height=500,
                  xaxis_title="bound (1/d1 + 1/d0; printed HRs: 1/n1 + 1/n0)",
                  yaxis_title="Var(log HR)")


# --------------------------------------------------------------------------- Monte Carlo


def mc_distribution(sim: pd.DataFrame, printed: pd.DataFrame, *, value: str, label: str = "item",
                    log: bool = True, xlabel: str = "", title: str = "") -> go.Figure:
    """Simulated values per item (``sim``: ``label`` and ``value`` columns) as boxes (quartiles,
    median, whiskers at the 2.5% and 97.5% quantiles) with the printed value (``printed``:
    ``label`` and ``value`` columns) as a diamond."""
    items = list(dict.fromkeys(printed[label]))
    stats = []
    for it in items:
        v = sim.loc[sim[label] == it, value].to_numpy(dtype=float)
        v = v[np.isfinite(v) & ((v > 0) if log else True)]
        q = np.quantile(v, [0.025, 0.25, 0.5, 0.75, 0.975]) if v.size else [np.nan] * 5
        stats.append({"label": it, "whislo": q[0], "q1": q[1], "med": q[2], "q3": q[3], "whishi": q[4]})
    st = pd.DataFrame(stats)
    fig = go.Figure(go.Box(y=st["label"], q1=st["q1"], median=st["med"], q3=st["q3"],
                           lowerfence=st["whislo"], upperfence=st["whishi"], orientation="h",
                           marker_color=SIMULATED, name="simulated (quartiles; 2.5-97.5%)"))
    fig.add_trace(go.Scatter(x=printed["value"], y=printed[label], mode="markers",
                             marker=dict(color=FLAG, size=11, symbol="diamond"), name="printed",
                             hovertemplate="printed %{x:.4g}<extra></extra>"))
    fig.update_layout(xaxis_type="log" if log else "linear",
                      yaxis=dict(autorange="reversed", categoryorder="array", categoryarray=items))
    return layout(fig, title, "look for printed values (diamonds) beyond the whiskers: rare in "
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
