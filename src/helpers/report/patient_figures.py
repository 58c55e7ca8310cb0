"""Figures of the patient-level data: Kaplan-Meier curves, printed numbers against the data, rates.

Each function returns one :class:`plotly.graph_objects.Figure` (show it with
:func:`helpers.report.figures.show`), in the style of :mod:`helpers.report.figures` (Okabe-Ito
colours, legends beside the axes, a title that says what to look for). Every figure is drawn from
tables that already obey the disclosure rules of :mod:`helpers.cohort.disclosure`: Kaplan-Meier
curves from coarsened times cut where fewer than ``min_cell`` patients remain at risk
(:func:`helpers.cohort.tables.km_curves`), no hidden value in the comparison (its rows carry NaN),
no bar for a suppressed rate. No figure carries a patient's value, an id or a count at risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import BAND, NEUTRAL, OKABE_ITO, SERIES

_AGREEMENT = {"match": ("prints as printed", OKABE_ITO["blue"], "circle"),
              "slip": ("within one unit / another rounding rule", OKABE_ITO["orange"], "diamond"),
              "mismatch": ("differs beyond rounding", OKABE_ITO["vermillion"], "x")}
_LEGEND = dict(x=1.02, y=1, xanchor="left", yanchor="top")


def _title(text: str, look_for: str) -> dict:
    return dict(text=f"{text}<br><sup>{look_for}</sup>")


def km_figure(curves: pd.DataFrame, printed: pd.DataFrame | None = None, *, unit: str = "",
              title: str = "Kaplan-Meier curves of the patient data") -> go.Figure:
    """Kaplan-Meier step curves with their pointwise band (``curves`` from
    :func:`helpers.cohort.tables.km_curves`: ``endpoint``, ``time``, ``survival``, ``lower``,
    ``upper``), and the printed medians (``printed``: ``endpoint``, ``median``, optional
    ``ci_low``/``ci_high``) as dotted lines with a shaded CI.

    The curves end where fewer than ``min_cell`` patients were at risk; the grid of the coarsened
    times (``curves.attrs["grid"]``) is said in the title.
    """
    grid = curves.attrs.get("grid")
    fig = go.Figure()
    colours = {ep: c for ep, c in zip(curves["endpoint"].unique(), SERIES)}
    for ep, g in curves.groupby("endpoint", sort=False):
        c = colours[ep]
        band = g.dropna(subset=["lower", "upper"])
        fig.add_trace(go.Scatter(x=np.r_[band["time"], band["time"][::-1]],
                                 y=np.r_[band["upper"], band["lower"][::-1]], fill="toself",
                                 fillcolor=c, opacity=0.15, line=dict(width=0, shape="hv"),
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["time"], y=g["survival"], mode="lines", name=ep,
                                 line=dict(color=c, shape="hv"),
                                 hovertemplate="%{y:.2f}<extra>" + ep + "</extra>"))
    if printed is not None:
        for _, r in printed.iterrows():
            c = colours.get(r["endpoint"], NEUTRAL)
            if pd.notna(r.get("ci_low")) and pd.notna(r.get("ci_high")):
                fig.add_vrect(x0=r["ci_low"], x1=r["ci_high"], fillcolor=c, opacity=0.08,
                              line_width=0)
            if pd.notna(r.get("median")):
                fig.add_vline(x=r["median"], line=dict(color=c, dash="dot"),
                              annotation_text=f"printed median {r['endpoint']} {r['median']:g}",
                              annotation_position="top right")
    fig.add_hline(y=0.5, line=dict(color=NEUTRAL, dash="dash"))
    on_grid = f"times on a grid of {grid:.4g} {unit}".strip() + "; " if grid else ""
    fig.update_layout(title=_title(title, f"{on_grid}each curve stops where fewer than 10 "
                                          "patients remain at risk; dotted: the printed medians"),
                      xaxis_title=f"time ({unit})" if unit else "time",
                      yaxis_title="survival probability", yaxis_range=[0, 1.02],
                      template="simple_white", height=440, legend=_LEGEND)
    return fig


def comparison_figure(comparison: pd.DataFrame,
                      title: str = "Printed numbers against the patient data",
                      clip: float = 10.0) -> go.Figure:
    """Each printed field of a :func:`helpers.cohort.tables.comparison_table`: recomputed minus
    printed, in units of the last printed digit (clipped at +-``clip``). Inside the band of +-0.5
    the recomputed value prints as printed. Fields whose value disclosure control hides (NaN) are
    left out; hover text gives the printed number and the shown value only."""
    t = comparison.dropna(subset=["difference_units"]).reset_index(drop=True)
    labels = [f"{i} · {f}" for i, f in zip(t["item"], t["field"])]
    y = np.arange(len(t))[::-1].astype(float)
    fig = go.Figure()
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor=BAND, opacity=0.5, line_width=0)
    for state, (name, colour, symbol) in _AGREEMENT.items():
        keep = (t["agreement"] == state).to_numpy()
        if not keep.any():
            continue
        fig.add_trace(go.Scatter(
            x=t.loc[keep, "difference_units"].clip(-clip, clip), y=y[keep], mode="markers",
            name=name, marker=dict(color=colour, symbol=symbol, size=9),
            text=[f"{lb}: printed {p}, data {s}" for lb, p, s in
                  zip(np.array(labels, dtype=object)[keep], t.loc[keep, "printed"],
                      t.loc[keep, "shown"])],
            hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(title=_title(title, "points outside the grey band do not print as the paper "
                                          "prints them"),
                      template="simple_white", height=max(320, 80 + 22 * len(t)),
                      xaxis_title="recomputed - printed (units of the last printed digit)",
                      xaxis_range=[-clip - 0.5, clip + 0.5],
                      yaxis=dict(tickvals=y, ticktext=labels), legend=_LEGEND,
                      margin=dict(l=20, r=20, t=70, b=40))
    return fig


def rates_figure(rates: pd.DataFrame, label: str = "level",
                 title: str = "Rates with exact 95% CI") -> go.Figure:
    """Horizontal bars of ``percent`` with Clopper-Pearson limits (``ci_low``/``ci_high``), one
    row per bar, e.g. :func:`helpers.cohort.tables.response_rates` or
    :func:`helpers.cohort.tables.adverse_event_rates`. A suppressed row (fewer than ``min_cell``
    patients) keeps its label, marked ``(<10)``, and has no bar."""
    t = rates.reset_index(drop=True)
    hidden = (t["suppressed"].astype(bool) if "suppressed" in t
              else pd.Series(False, index=t.index))
    shown = t["shown"] if "shown" in t else pd.Series("", index=t.index)
    labels = [f"{v} ({s.split('/')[0]})" if h else str(v)
              for v, h, s in zip(t[label], hidden, shown)]
    pct = pd.to_numeric(t["percent"], errors="coerce").where(~hidden)
    lo = pd.to_numeric(t["ci_low"], errors="coerce").where(~hidden)
    hi = pd.to_numeric(t["ci_high"], errors="coerce").where(~hidden)
    fig = go.Figure(go.Bar(x=pct, y=labels, orientation="h", marker_color=OKABE_ITO["blue"],
                           error_x=dict(type="data", symmetric=False, array=hi - pct,
                                        arrayminus=pct - lo, color=NEUTRAL),
                           hovertemplate="%{y}: %{x:.1f}%<extra></extra>", showlegend=False))
    fig.update_layout(title=_title(title, "bars with their exact CI; rows marked (<10) are "
                                          "suppressed (fewer than 10 patients)"),
                      xaxis_title="% of patients", template="simple_white",
                      height=max(320, 80 + 26 * len(t)), yaxis=dict(autorange="reversed"))
    return fig


__all__ = ["km_figure", "comparison_figure", "rates_figure"]
