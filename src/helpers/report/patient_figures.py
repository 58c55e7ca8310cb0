"""Figures of the patient-level data: Kaplan-Meier curves, printed numbers against the data, rates.

Each function returns a :class:`helpers.report.figures.FigurePair` (interactive plotly, static
matplotlib that survives export); show it with :func:`helpers.report.figures.show`. Every figure is
drawn from tables that already obey the disclosure rules of :mod:`helpers.cohort.disclosure`:
Kaplan-Meier curves from coarsened times cut where fewer than ``min_cell`` patients remain at risk
(:func:`helpers.cohort.tables.km_curves`), no hidden value in the comparison (its rows carry NaN),
no bar for a suppressed rate. No figure carries a patient's value, an id or a count at risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from .figures import FigurePair

_AGREEMENT_COLOURS = {"match": "#4c956c", "slip": "#f4a259", "mismatch": "#bc4b51"}
_LINE = "#0072b2"
_CURVE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7")


def km_figure(curves: pd.DataFrame, printed: pd.DataFrame | None = None, *, unit: str = "",
              title: str = "Kaplan-Meier curves of the patient data") -> FigurePair:
    """Kaplan-Meier step curves with their pointwise band (``curves`` from
    :func:`helpers.cohort.tables.km_curves`: ``endpoint``, ``time``, ``survival``, ``lower``,
    ``upper``), and the printed medians (``printed``: ``endpoint``, ``median``, optional
    ``ci_low``/``ci_high``) as dotted lines with a shaded CI.

    The curves end where fewer than ``min_cell`` patients were at risk; the grid of the coarsened
    times (``curves.attrs["grid"]``) is said in the title.
    """
    grid = curves.attrs.get("grid")
    if grid:
        title = f"{title} (times on a grid of {grid:.4g} {unit})".replace(" )", ")")
    fig = go.Figure()
    fig_m = Figure(figsize=(8, 4.5))
    ax = fig_m.subplots()
    colours = {ep: c for ep, c in zip(curves["endpoint"].unique(), _CURVE_COLOURS)}
    for ep, g in curves.groupby("endpoint", sort=False):
        c = colours[ep]
        band = g.dropna(subset=["lower", "upper"])
        fig.add_trace(go.Scatter(x=np.r_[band["time"], band["time"][::-1]],
                                 y=np.r_[band["upper"], band["lower"][::-1]], fill="toself",
                                 fillcolor=c, opacity=0.15, line=dict(width=0, shape="hv"),
                                 showlegend=False, hoverinfo="skip"))
        ax.fill_between(band["time"], band["lower"], band["upper"], step="post", color=c,
                        alpha=0.15, lw=0)
        fig.add_trace(go.Scatter(x=g["time"], y=g["survival"], mode="lines", name=ep,
                                 line=dict(color=c, shape="hv"),
                                 hovertemplate="%{y:.2f}<extra>" + ep + "</extra>"))
        ax.step(g["time"], g["survival"], where="post", color=c, label=ep)
    if printed is not None:
        for _, r in printed.iterrows():
            c = colours.get(r["endpoint"], "#444444")
            if pd.notna(r.get("ci_low")) and pd.notna(r.get("ci_high")):
                fig.add_vrect(x0=r["ci_low"], x1=r["ci_high"], fillcolor=c, opacity=0.08,
                              line_width=0)
                ax.axvspan(r["ci_low"], r["ci_high"], color=c, alpha=0.08)
            if pd.notna(r.get("median")):
                label = f"printed median {r['endpoint']} {r['median']:g}"
                fig.add_vline(x=r["median"], line=dict(color=c, dash="dot"),
                              annotation_text=label, annotation_position="top right")
                ax.axvline(r["median"], color=c, ls=":", lw=1.5, label=label)
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dash"))
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    xlabel = f"time ({unit})" if unit else "time"
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title="survival probability",
                      yaxis_range=[0, 1.02], template="simple_white", height=420)
    ax.set(xlabel=xlabel, ylabel="survival probability", ylim=(0, 1.02), title=title)
    if len(curves) or printed is not None:
        ax.legend(fontsize=8)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


def comparison_figure(comparison: pd.DataFrame,
                      title: str = "Printed numbers against the patient data",
                      clip: float = 10.0) -> FigurePair:
    """Each printed field of a :func:`helpers.cohort.tables.comparison_table`: recomputed minus
    printed, in units of the last printed digit (clipped at +-``clip``). Inside the band of +-0.5
    the recomputed value prints as printed. Fields whose value disclosure control hides (NaN) are
    left out; hover text gives the printed number and the shown value only."""
    t = comparison.dropna(subset=["difference_units"]).reset_index(drop=True)
    labels = [f"{i} · {f}" for i, f in zip(t["item"], t["field"])]
    x = t["difference_units"].clip(-clip, clip)
    y = np.arange(len(t))[::-1].astype(float)
    colours = [_AGREEMENT_COLOURS.get(a, "#8d99ae") for a in t["agreement"]]
    fig = go.Figure()
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor="#4c956c", opacity=0.12, line_width=0)
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker=dict(color=colours, size=8),
                             text=[f"{lb}: printed {p}, data {s}" for lb, p, s in
                                   zip(labels, t["printed"], t["shown"])],
                             hovertemplate="%{text}<extra></extra>", showlegend=False))
    fig.update_layout(title=title, template="simple_white", height=max(300, 60 + 22 * len(t)),
                      xaxis_title="recomputed - printed (units of the last printed digit)",
                      yaxis=dict(tickvals=y, ticktext=labels), margin=dict(l=20, r=20, t=50, b=40))
    fig_m = Figure(figsize=(9, 0.28 * len(t) + 1.6))
    ax = fig_m.subplots()
    ax.axvspan(-0.5, 0.5, color="#4c956c", alpha=0.12, lw=0)
    ax.scatter(x, y, c=colours, s=22)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlim(-clip - 0.5, clip + 0.5)
    ax.set(xlabel="recomputed - printed (units of the last printed digit)", title=title)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


def rates_figure(rates: pd.DataFrame, label: str = "level",
                 title: str = "Rates with exact 95% CI") -> FigurePair:
    """Horizontal bars of ``percent`` with Clopper-Pearson limits (``ci_low``/``ci_high``), one
    row per bar, e.g. :func:`helpers.cohort.tables.response_rates` or
    :func:`helpers.cohort.tables.adverse_event_rates`. A suppressed row (fewer than ``min_cell``
    patients) keeps its label, marked ``(<10)``, and has no bar."""
    t = rates.reset_index(drop=True)
    hidden = t["suppressed"].astype(bool) if "suppressed" in t else pd.Series(False, index=t.index)
    shown = t["shown"] if "shown" in t else pd.Series("", index=t.index)
    labels = [f"{v} ({s.split('/')[0]})" if h else str(v)
              for v, h, s in zip(t[label], hidden, shown)]
    pct = pd.to_numeric(t["percent"], errors="coerce").where(~hidden)
    lo = pd.to_numeric(t["ci_low"], errors="coerce").where(~hidden)
    hi = pd.to_numeric(t["ci_high"], errors="coerce").where(~hidden)
    fig = go.Figure(go.Bar(x=pct, y=labels, orientation="h", marker_color=_LINE,
                           error_x=dict(type="data", symmetric=False, array=hi - pct,
                                        arrayminus=pct - lo),
                           hovertemplate="%{y}: %{x:.1f}%<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="% of patients", template="simple_white",
                      height=max(300, 60 + 26 * len(t)), yaxis=dict(autorange="reversed"))
    fig_m = Figure(figsize=(8, 0.3 * len(t) + 1.5))
    ax = fig_m.subplots()
    y = np.arange(len(t))
    ax.barh(y, pct.fillna(0), color=_LINE,
            xerr=[(pct - lo).fillna(0), (hi - pct).fillna(0)], capsize=2)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="% of patients", title=title)
    fig_m.tight_layout()
    return FigurePair(fig, fig_m)


__all__ = ["km_figure", "comparison_figure", "rates_figure"]
