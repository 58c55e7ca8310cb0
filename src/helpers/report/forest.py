"""Figures for notebook 03: every figure twice, interactive (plotly) and static (matplotlib).

Each function returns a :class:`helpers.report.figures.FigurePair`; ``plots.show(pair)`` displays the
plotly figure and the matplotlib one as a PNG (built on :class:`matplotlib.figure.Figure` directly,
no pyplot state), which survives export to HTML or PDF.

* :func:`forest`           printed HRs and CIs beside the narrowest CI the data allow and the CI
                           the Monte Carlo gives;
* :func:`km`               Kaplan-Meier curves with the printed medians and CIs marked;
* :func:`intervals`        per row, a printed value (or interval) against the range a check allows;
* :func:`variance_bound`   Wald variance of log HR against the bound 1/d1 + 1/d0;
* :func:`mc_distribution`  simulated distributions with the printed value marked.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from .figures import FigurePair

PRINTED = "#222222"
FEASIBLE = "#e69f00"
SIMULATED = "#0072b2"
FLAG = "#d55e00"
OK = "#009e73"


GROUP_COLOURS = [PRINTED, SIMULATED, FLAG, OK, FEASIBLE]


def _height(n_rows: int) -> int:
    return max(300, 60 + 34 * n_rows)


def _nice_ticks(lo: float, hi: float) -> list[float]:
    """Readable tick values for a log axis spanning [lo, hi]."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi <= lo:
        return []
    decades = math.log10(hi / lo)
    mantissas = ((1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8) if decades < 0.5 else
                 (1, 1.5, 2, 3, 5, 7) if decades < 1.5 else (1, 2, 5) if decades < 3 else (1,))
    step = max(1, int(math.ceil(decades / 8))) if decades >= 3 else 1
    ticks = [m * 10.0 ** k for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1, step)
             for m in mantissas]
    return [t for t in ticks if lo <= t <= hi]


def _log_axis(ax, values) -> None:
    """Log x axis with readable labels (no overlapping scientific minor labels)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    ax.set_xscale("log")
    if not v.size:
        return
    lo, hi = v.min() / 1.1, v.max() * 1.1
    ticks = _nice_ticks(lo, hi)
    if len(ticks) >= 2:
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


# --------------------------------------------------------------------------- forest plot


def forest(table: pd.DataFrame, title: str = "Printed hazard ratios") -> FigurePair:
    """Forest plot. ``table`` has ``label``, ``hr``, ``ci_low``, ``ci_high`` (printed) and optionally
    ``narrowest_low``/``narrowest_high`` (narrowest CI the group sizes allow, centred on the printed
    HR), ``sim_hr``/``sim_ci_low``/``sim_ci_high`` (typical CI in the Monte Carlo) and ``group``
    (estimates of different origin, e.g. printed and refitted, in different colours)."""
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
                                     opacity=0.45, showlegend=i == 0,
                                     name="narrowest possible CI (variance bound)",
                                     hovertemplate=f"narrowest possible: {r['narrowest_low']:.2f}-"
                                                   f"{r['narrowest_high']:.2f}<extra></extra>"))
    if {"sim_ci_low", "sim_ci_high"} <= set(t.columns):
        for i, r in t.iterrows():
            if not np.isfinite(r["sim_ci_low"]):
                continue
            fig.add_trace(go.Scatter(x=[r["sim_ci_low"], r["sim_ci_high"]], y=[y[i] - 0.25] * 2,
                                     mode="lines+markers", line=dict(color=SIMULATED, width=2),
                                     marker=dict(symbol="line-ns-open", size=8),
                                     showlegend=i == 0, name="typical CI in the Monte Carlo",
                                     hovertemplate=f"simulated (median limits): {r['sim_ci_low']:.2f}-"
                                                   f"{r['sim_ci_high']:.2f}<extra></extra>"))
    for g in groups:
        m = (t["group"] == g).to_numpy()
        tg = t[m]
        fig.add_trace(go.Scatter(
            x=tg["hr"], y=y[m], mode="markers", marker=dict(color=colour[g], size=9, symbol="square"),
            error_x=dict(type="data", symmetric=False, array=tg["ci_high"] - tg["hr"],
                         arrayminus=tg["hr"] - tg["ci_low"], color=colour[g], thickness=2),
            name=g, text=tg["label"], hovertemplate="%{text}<br>HR %{x:.2f}<extra></extra>"))
    fig.add_vline(x=1, line=dict(color="grey", dash="dash"))
    fig.update_layout(title=title, height=_height(len(t)), xaxis_type="log",
                      xaxis_title="hazard ratio (log scale)", template="simple_white",
                      yaxis=dict(tickvals=y, ticktext=list(t["label"])),
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=20, r=20, t=50, b=40))

    fig_m = Figure(figsize=(9, 0.45 * len(t) + 1.6))
    ax = fig_m.subplots()
    if {"narrowest_low", "narrowest_high"} <= set(t.columns):
        ax.hlines(y, t["narrowest_low"], t["narrowest_high"], color=FEASIBLE, lw=9, alpha=0.45,
                  label="narrowest possible CI (variance bound)")
    if {"sim_ci_low", "sim_ci_high"} <= set(t.columns):
        ok = np.isfinite(t["sim_ci_low"].to_numpy(dtype=float))
        ax.hlines(y[ok] - 0.25, t["sim_ci_low"][ok], t["sim_ci_high"][ok], color=SIMULATED, lw=1.8,
                  label="typical CI in the Monte Carlo")
    for g in groups:
        m = (t["group"] == g).to_numpy()
        tg = t[m]
        ax.errorbar(tg["hr"], y[m], xerr=[tg["hr"] - tg["ci_low"], tg["ci_high"] - tg["hr"]], fmt="s",
                    color=colour[g], ms=5, capsize=3, label=g)
    ax.axvline(1, color="grey", ls="--", lw=1)
    _log_axis(ax, np.r_[t["ci_low"], t["ci_high"], 1.0,
                        *(t[c] for c in ("narrowest_low", "narrowest_high", "sim_ci_low", "sim_ci_high")
                          if c in t.columns)])
    ax.set_yticks(y, list(t["label"]), fontsize=8)
    ax.set_xlabel("hazard ratio (log scale)")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


# --------------------------------------------------------------------------- Kaplan-Meier


def km(curves: pd.DataFrame, printed: pd.DataFrame | None = None,
       title: str = "Kaplan-Meier curves of the synthetic cohort", unit: str = "months"
       ) -> FigurePair:
    """KM curves (``curves``: ``endpoint``, ``time``, ``survival``, optional ``lower``/``upper``)
    with the printed medians (``printed``: ``endpoint``, ``median``, optional ``ci_low``/``ci_high``)
    marked as a vertical line and a shaded CI."""
    colors = {ep: c for ep, c in zip(curves["endpoint"].unique(), [SIMULATED, FLAG, OK, PRINTED])}
    fig = go.Figure()
    fig_m = Figure(figsize=(8, 4.5))
    ax = fig_m.subplots()
    for ep, g in curves.groupby("endpoint", sort=False):
        c = colors[ep]
        if {"lower", "upper"} <= set(g.columns):
            fig.add_trace(go.Scatter(x=np.r_[g["time"], g["time"][::-1]],
                                     y=np.r_[g["upper"], g["lower"][::-1]], fill="toself",
                                     fillcolor=c, opacity=0.15, line=dict(width=0, shape="hv"),
                                     showlegend=False, hoverinfo="skip"))
            ax.fill_between(g["time"], g["lower"], g["upper"], step="post", color=c, alpha=0.15, lw=0)
        fig.add_trace(go.Scatter(x=g["time"], y=g["survival"], mode="lines", name=f"{ep} (synthetic)",
                                 line=dict(color=c, shape="hv")))
        ax.step(g["time"], g["survival"], where="post", color=c, label=f"{ep} (synthetic)")
    if printed is not None:
        for _, r in printed.iterrows():
            c = colors.get(r["endpoint"], PRINTED)
            if "ci_low" in r and pd.notna(r.get("ci_low")):
                fig.add_vrect(x0=r["ci_low"], x1=r["ci_high"], fillcolor=c, opacity=0.08, line_width=0)
                ax.axvspan(r["ci_low"], r["ci_high"], color=c, alpha=0.08)
            fig.add_vline(x=r["median"], line=dict(color=c, dash="dot"),
                          annotation_text=f"printed median {r['endpoint']} {r['median']:g}",
                          annotation_position="top right")
            ax.axvline(r["median"], color=c, ls=":", lw=1.5,
                       label=f"printed median {r['endpoint']} {r['median']:g}")
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dash"))
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    fig.update_layout(title=title, xaxis_title=f"time ({unit})", yaxis_title="survival probability",
                      yaxis_range=[0, 1.02], template="simple_white", height=420)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


# --------------------------------------------------------------------------- check ranges


def intervals(df: pd.DataFrame, *, label: str, printed_low: str, printed_high: str,
              allowed_low: str, allowed_high: str, verdict: str = "verdict", log: bool = True,
              xlabel: str = "", title: str = "", printed_name: str = "printed",
              allowed_name: str = "allowed by the check") -> FigurePair:
    """Per row: the printed interval (black) against the interval a check allows (coloured by
    verdict: green when they meet, red when not). On a log axis an open printed bound (``<0.001``,
    lower end 0) is drawn from the smallest value shown."""
    t = df.reset_index(drop=True).copy()
    if log:
        floor = np.nanmin(np.r_[t[allowed_low], t[printed_high]].astype(float)) / 10
        t[printed_low] = t[printed_low].astype(float).clip(lower=floor)
    y = np.arange(len(t))[::-1].astype(float)
    col = [OK if v == "consistent" else FLAG if v in ("impossible", "inconsistent") else "grey"
           for v in t.get(verdict, ["consistent"] * len(t))]
    fig = go.Figure()
    for i, r in t.iterrows():
        fig.add_trace(go.Scatter(x=[r[allowed_low], r[allowed_high]], y=[y[i] - 0.15] * 2,
                                 mode="lines+markers", line=dict(color=col[i], width=7),
                                 marker=dict(size=7, color=col[i]), opacity=0.7,
                                 name=allowed_name, showlegend=i == 0,
                                 hovertemplate=f"{allowed_name}: {r[allowed_low]:.3g} to "
                                               f"{r[allowed_high]:.3g}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[r[printed_low], r[printed_high]], y=[y[i] + 0.15] * 2,
                                 mode="lines+markers", line=dict(color=PRINTED, width=3),
                                 marker=dict(size=7, symbol="diamond", color=PRINTED),
                                 name=printed_name, showlegend=i == 0,
                                 hovertemplate=f"{printed_name}: {r[printed_low]:.3g} to "
                                               f"{r[printed_high]:.3g}<extra></extra>"))
    fig.update_layout(title=title, height=_height(len(t)), template="simple_white",
                      xaxis_type="log" if log else "linear", xaxis_title=xlabel,
                      yaxis=dict(tickvals=y, ticktext=list(t[label])),
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=20, r=20, t=50, b=40))
    fig_m = Figure(figsize=(9, 0.42 * len(t) + 1.6))
    ax = fig_m.subplots()
    for i, r in t.iterrows():
        ax.plot([r[allowed_low], r[allowed_high]], [y[i] - 0.15] * 2, color=col[i], lw=6, alpha=0.7,
                marker="o", ms=4, label=allowed_name if i == 0 else None)
        ax.plot([r[printed_low], r[printed_high]], [y[i] + 0.15] * 2, color=PRINTED, lw=2.5,
                marker="D", ms=4, label=printed_name if i == 0 else None)
    if log:
        _log_axis(ax, np.r_[t[printed_low], t[printed_high], t[allowed_low], t[allowed_high]])
    ax.set_yticks(y, list(t[label]), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


# --------------------------------------------------------------------------- variance bound


def variance_bound(exp: pd.DataFrame, printed: pd.DataFrame | None = None,
                   title: str = "Wald variance of log HR against the bound 1/d1 + 1/d0"
                   ) -> FigurePair:
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
    fig.update_layout(title=title, xaxis_type="log", yaxis_type="log", template="simple_white",
                      xaxis_title="bound (1/d1 + 1/d0; printed HRs: 1/n1 + 1/n0)",
                      yaxis_title="Var(log HR)", height=480, legend=dict(orientation="h", y=-0.2))
    fig_m = Figure(figsize=(7, 5.5))
    ax = fig_m.subplots()
    ax.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=1, label="variance = bound")
    ax.scatter(exp["bound_events"], exp["var"], s=14, color=SIMULATED, alpha=0.6,
               label=f"simulated fits ({exp['engine'].iloc[0]})")
    if printed is not None and len(printed):
        ax.scatter(printed["var_bound"], printed["var_max"], s=40, color=FLAG, marker="x",
                   label="printed CIs (largest variance vs 1/n1 + 1/n0)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bound (1/d1 + 1/d0; printed HRs: 1/n1 + 1/n0)")
    ax.set_ylabel("Var(log HR)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


# --------------------------------------------------------------------------- Monte Carlo


def mc_distribution(sim: pd.DataFrame, printed: pd.DataFrame, *, value: str, label: str = "item",
                    log: bool = True, xlabel: str = "", title: str = "") -> FigurePair:
    """Simulated values per item (``sim``: ``label`` and ``value`` columns) as boxes (quartiles, median,
    whiskers at the 2.5% and 97.5% quantiles) with the printed value (``printed``: ``label`` and
    ``value`` columns) as a red marker."""
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
    fig.update_layout(title=title, template="simple_white", height=_height(len(items)),
                      xaxis_type="log" if log else "linear", xaxis_title=xlabel,
                      yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=-0.15))
    fig_m = Figure(figsize=(9, 0.42 * len(items) + 1.6))
    ax = fig_m.subplots()
    pos = np.arange(1, len(items) + 1)[::-1]
    ax.bxp([{**r, "fliers": []} for r in stats], positions=pos, orientation="horizontal",
           showfliers=False, widths=0.5, patch_artist=True,
           boxprops=dict(facecolor=SIMULATED, alpha=0.35))
    pv = printed.set_index(label)["value"]
    ax.scatter([pv[it] for it in items], pos, color=FLAG, marker="D", zorder=3, label="printed")
    if log:
        _log_axis(ax, np.r_[st[["whislo", "whishi"]].to_numpy().ravel(), pv.to_numpy(dtype=float)])
    ax.set_yticks(pos, items, fontsize=8)
    ax.set_xlabel(xlabel + " — box: quartiles, whiskers: 2.5-97.5% of the simulations", fontsize=9)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


def medians_vs_followup(ledger) -> FigurePair | None:
    """Printed median CIs against the potential follow-up the design allows (uniform accrual);
    None when the ledger has no accrual window/cut-off or no median with a CI."""
    from ..checks.survival import distinct_medians
    from ..ledger.followup import study_followup

    fu = study_followup(ledger)
    med = distinct_medians(ledger)
    med = med[med["ci_low"] != ""] if len(med) else med
    if fu is None or not len(med):
        return None
    shown = pd.DataFrame({"label": [f"{r.endpoint} {r.center} ({r.ci_low}-{r.ci_high})"
                                    for r in med.itertuples()],
                          "low": [float(x) for x in med["ci_low"]],
                          "high": [float(x) for x in med["ci_high"]],
                          "fu_low": fu.min_fu, "fu_high": fu.max_fu, "verdict": "consistent"})
    return intervals(shown, label="label", printed_low="low", printed_high="high",
                     allowed_low="fu_low", allowed_high="fu_high", log=False,
                     xlabel=f"time ({fu.unit})", printed_name="printed CI of the median",
                     allowed_name="potential follow-up (uniform accrual)",
                     title="Printed medians against the follow-up the design allows")
