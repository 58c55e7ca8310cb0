"""Figures for the arithmetic checks: each function returns a :class:`FigurePair`, an interactive
plotly figure and a static matplotlib/seaborn figure that survives export to HTML or PDF.

In a notebook, ``plots.show(pair)`` displays both (the static one as a PNG image).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import seaborn as sns
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from ..checks.arithmetic import grades_of, percent_rows
from ..ledger.load import Ledger
from ..core.printed import parse_printed
from ..core.rounding import RULES, counts_giving
from ..core.rounding import exact as exact_value

VERDICT_COLOURS = {"consistent": "#4c956c", "inconsistent": "#f4a259", "impossible": "#bc4b51",
                   "not testable": "#8d99ae"}


@dataclass
class FigurePair:
    interactive: go.Figure
    static: Figure

    def png(self, dpi: int = 110) -> bytes:
        buf = io.BytesIO()
        self.static.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()


def show(pair: FigurePair) -> None:
    """Display the interactive figure, then the static one as a PNG (kept in exported notebooks)."""
    from IPython.display import Image, display

    display(pair.interactive)
    display(Image(data=pair.png(), format="png"))


def _fig(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    return fig


def empty(title: str) -> FigurePair:
    """A placeholder pair saying there is nothing to draw (e.g. a study without that table)."""
    fig = go.Figure().update_layout(title=f"{title}: nothing to show for this study", height=200)
    fs = _fig(6, 0.8)
    ax = fs.add_subplot()
    ax.axis("off")
    ax.set_title(f"{title}: nothing to show for this study", fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# printed vs recomputed percentages
# ------------------------------------------------------------------------------------------

def deviation_table(ledger: Ledger, prefix=None, findings: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Each printed percentage with a count: the exact ``100*count/n`` and the printed value's
    distance from it in units of the last printed digit (0 to -1 is truncation, -0.5 to 0.5
    rounding to nearest). Rows without a count use the nearest count out of n. The verdict comes
    from ``findings`` (matched by locator) when given."""
    rows = percent_rows(ledger, prefix)
    recs = []
    for _, r in rows.iterrows():
        p = parse_printed(r["percent"])
        n = r["denominator"]
        k = r["count"]
        how = "printed count"
        if k is None:
            ks = sorted({kk for rule in RULES for kk in counts_giving(p, n, rule)})
            k = ks[0] if ks else round(p.value * n / 100)
            how = "nearest count"
        exact = Fraction(100 * k, n)
        unit = Fraction(1, 10 ** p.decimals)
        dev = float((exact_value(p) - exact) / unit)
        recs.append({"item": r["item"], "locator": r["locator"], "quantity": r["quantity"],
                     "printed": r["percent"], "count": k, "n": n, "count_from": how,
                     "exact": float(exact), "deviation_units": dev})
    df = pd.DataFrame(recs)
    if findings is not None and len(df) and len(findings):
        f = findings[findings["check"].isin(["percent_count", "grim_percent"])]
        verdict = dict(zip(zip(f["quantity"], f["locators"]), f["verdict"]))
        df["verdict"] = [verdict.get(key, "consistent") for key in zip(df["quantity"], df["locator"])]
    elif len(df):
        df["verdict"] = "consistent"
    return df


def percent_deviation(table: pd.DataFrame, title: str = "Printed percentage minus count/n",
                      limit: float = 3.0) -> FigurePair:
    """Dot plot: each printed percentage's distance from ``count/n`` in units of its last digit,
    with the windows of rounding to nearest and truncation shaded. Points beyond ``limit`` units
    are drawn at the edge (triangles) with their value in the label."""
    if table.empty:
        return empty(title)
    t = table.sort_values("deviation_units").reset_index(drop=True)
    off = t["deviation_units"].abs() > limit
    t["x"] = t["deviation_units"].clip(-limit, limit)
    labels = [f"{i}  ({loc})" + (f"  [{d:+.1f} units]" if o else "")
              for i, loc, d, o in zip(t["item"], t["locator"], t["deviation_units"], off)]
    fig = go.Figure()
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor="#4c956c", opacity=0.12, line_width=0,
                  annotation_text="round to nearest", annotation_position="top left")
    fig.add_vrect(x0=-1, x1=0, fillcolor="#f4a259", opacity=0.10, line_width=0,
                  annotation_text="truncate", annotation_position="bottom left")
    for verdict, g in t.groupby("verdict", sort=False):
        fig.add_trace(go.Scatter(
            x=g["x"], y=[labels[i] for i in g.index], mode="markers", name=verdict,
            marker=dict(size=9, color=VERDICT_COLOURS.get(verdict, "black"),
                        symbol=["triangle-right" if o else "circle" for o in off[g.index]]),
            customdata=np.stack([g["printed"], g["count"], g["n"], g["exact"],
                                 g["deviation_units"]], axis=1),
            hovertemplate="printed %{customdata[0]}%<br>%{customdata[1]}/%{customdata[2]} = "
                          "%{customdata[3]:.4f}%<br>deviation %{customdata[4]:.2f} units"
                          "<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="printed - count/n (units of the last printed digit)",
                      xaxis_range=[-limit - 0.3, limit + 0.3],
                      height=max(350, 18 * len(t) + 120), margin=dict(l=10, r=10, t=60, b=40),
                      yaxis=dict(automargin=True))

    fs = _fig(9, max(3.0, 0.24 * len(t) + 1))
    ax = fs.add_subplot()
    ax.axvspan(-0.5, 0.5, color="#4c956c", alpha=0.12, label="round to nearest")
    ax.axvspan(-1, 0, color="#f4a259", alpha=0.10, label="truncate")
    sns.scatterplot(data=t.assign(label=labels, edge=np.where(off, "off scale", "on scale")),
                    x="x", y="label", hue="verdict", style="edge",
                    markers={"on scale": "o", "off scale": ">"}, palette=VERDICT_COLOURS,
                    ax=ax, s=40)
    ax.set_xlim(-limit - 0.3, limit + 0.3)
    ax.set_xlabel("printed - count/n (units of the last printed digit)")
    ax.set_ylabel("")
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return FigurePair(fig, fs)


def rule_heatmap(rule_table: pd.DataFrame, title: str = "Which rounding rule each printed "
                 "percentage needs") -> FigurePair:
    """Heatmap of printed percentages (rows) by rounding rule (columns): fits or not."""
    t = rule_table[rule_table["testable"].astype(bool)].reset_index(drop=True)
    if t.empty:
        return empty(title)
    labels = [f"{i} = {p}%  ({fam})" for i, p, fam in zip(t["item"], t["percent"], t["family"])]
    z = t[list(RULES)].astype(int).to_numpy()
    fig = go.Figure(go.Heatmap(z=z, x=[r.replace("_", "-") for r in RULES], y=labels,
                               colorscale=[[0, "#bc4b51"], [1, "#4c956c"]], showscale=False,
                               xgap=2, ygap=1,
                               hovertemplate="%{y}<br>%{x}: %{z}<extra></extra>"))
    fig.update_layout(title=title, height=max(350, 16 * len(t) + 120),
                      yaxis=dict(autorange="reversed", automargin=True),
                      margin=dict(l=10, r=10, t=60, b=40))
    fs = _fig(6.5, max(3.0, 0.2 * len(t) + 1))
    ax = fs.add_subplot()
    sns.heatmap(pd.DataFrame(z, index=labels, columns=[r.replace("_", "-") for r in RULES]),
                cmap=sns.color_palette(["#bc4b51", "#4c956c"], as_cmap=True), cbar=False,
                linewidths=0.5, ax=ax, vmin=0, vmax=1)
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title(title + " (green = fits)", fontsize=9)
    return FigurePair(fig, fs)


def level_sums(table: pd.DataFrame, title: str = "Levels of each variable against their "
               "denominator") -> FigurePair:
    """Stacked bars: the printed counts of the levels of each variable at each place, with the
    denominator they should add up to (black tick)."""
    t = table.dropna(subset=["sum"]).reset_index(drop=True) if len(table) else table
    if t.empty:
        return empty(title)
    labels = [f"{v} ({fam})" for v, fam in zip(t["variable"], t["family"])]
    fig = go.Figure()
    fs = _fig(8, max(2.0, 0.45 * len(t) + 1))
    ax = fs.add_subplot()
    palette = sns.color_palette("Set2", 8).as_hex()
    names = list(dict.fromkeys(lv for levels in t["levels"] for lv in levels))
    colour_of = {lv: palette[j % len(palette)] for j, lv in enumerate(names)}
    for i, r in t.iterrows():
        left = 0
        for lv, k in zip(r["levels"], r["counts"]):
            colour = colour_of[lv]
            fig.add_trace(go.Bar(y=[labels[i]], x=[k], orientation="h", name=lv,
                                 marker_color=colour, showlegend=False,
                                 hovertemplate=f"{lv}: {k}<extra></extra>"))
            ax.barh(i, k, left=left, color=colour, edgecolor="white")
            if k:
                ax.text(left + k / 2, i, str(lv), ha="center", va="center", fontsize=6)
            left += k
        ok = r["sum"] == r["denominator"]
        fig.add_trace(go.Scatter(x=[r["denominator"]], y=[labels[i]], mode="markers",
                                 marker=dict(symbol="line-ns-open", size=22, color="black"),
                                 showlegend=False, hovertemplate=f"denominator {r['denominator']}; "
                                 f"sum {r['sum']}<extra></extra>"))
        ax.plot([r["denominator"]] * 2, [i - 0.45, i + 0.45], color="black", lw=2)
        if not ok:
            ax.text(max(left, r["denominator"]), i, f"  sum {r['sum']} vs {r['denominator']}",
                    va="center", fontsize=7, color=VERDICT_COLOURS["inconsistent"])
    fig.update_layout(barmode="stack", title=title, xaxis_title="patients",
                      height=200 + 40 * len(t), yaxis=dict(automargin=True))
    ax.set_yticks(range(len(t)), labels)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("patients (black tick: the denominator)")
    ax.set_title(title, fontsize=9)
    return FigurePair(fig, fs)


def grim_power(table: pd.DataFrame, title: str = "GRIM power: step between attainable means "
               "against the printed unit") -> FigurePair:
    """For each printed mean: the step between attainable means (granularity / n) and the printed
    unit. GRIM can only flag a mean whose step is larger than its unit."""
    t = table.dropna(subset=["step"]).reset_index(drop=True) if len(table) else table
    if t.empty:
        return empty(title)
    labels = [f"{v} ({loc})" for v, loc in zip(t["variable"], t["locator"])]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t["step"], y=labels, mode="markers", name="step = granularity / n",
                             marker=dict(size=10, color="#264653")))
    fig.add_trace(go.Scatter(x=t["unit"], y=labels, mode="markers", name="printed unit",
                             marker=dict(size=12, symbol="line-ns-open", color="#bc4b51")))
    fig.update_xaxes(type="log")
    fig.update_layout(title=title, height=200 + 40 * len(t), yaxis=dict(automargin=True),
                      xaxis_title="step (log scale); GRIM has power where the dot is right of the tick")
    fs = _fig(7, max(2.0, 0.45 * len(t) + 1))
    ax = fs.add_subplot()
    ax.scatter(t["step"], range(len(t)), color="#264653", label="step = granularity / n")
    ax.scatter(t["unit"], range(len(t)), marker="|", s=200, color="#bc4b51", label="printed unit")
    ax.set_xscale("log")
    ax.set_yticks(range(len(t)), labels)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# appearances
# ------------------------------------------------------------------------------------------

def appearances_plot(table: pd.DataFrame, findings: pd.DataFrame | None = None,
                     title: str = "Quantities printed more than once") -> FigurePair:
    """One row per quantity printed more than once: its printed values (percent, else the first
    numeric field) at each place; contradictions in colour."""
    if table.empty:
        return empty(title)
    pick = []
    for q, g in table.groupby("quantity", sort=False):
        field = "percent" if "percent" in set(g["field"]) else g["field"].iloc[0]
        gg = g[g["field"] == field]
        try:
            vals = [parse_printed(v).value for v in gg["value"]]
        except ValueError:
            continue
        pick.append(gg.assign(x=vals, label=f"{q} ({field})"))
    if not pick:
        return appearances_plot(table.iloc[0:0], findings, title)
    t = pd.concat(pick, ignore_index=True)
    bad = set()
    if findings is not None and len(findings):
        bad = set(findings[(findings["check"] == "appearances")
                           & (findings["verdict"] != "consistent")]["quantity"])
    t["status"] = ["contradiction" if q in bad else "agree" for q in t["quantity"]]
    # scale each quantity to its own first value so that rows are comparable
    t["relative"] = t.groupby("quantity")["x"].transform(lambda s: s / s.iloc[0] if s.iloc[0] else s)
    colours = {"contradiction": "#bc4b51", "agree": "#4c956c"}
    fig = go.Figure()
    for status, g in t.groupby("status"):
        fig.add_trace(go.Scatter(x=g["relative"], y=g["label"], mode="markers", name=status,
                                 marker=dict(size=10, color=colours[status], opacity=0.8),
                                 text=[f"{v} at {loc}" for v, loc in zip(g["value"], g["locator"])],
                                 hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="value / value at its first appearance",
                      height=max(300, 24 * t["label"].nunique() + 120),
                      yaxis=dict(automargin=True), margin=dict(l=10, r=10, t=60, b=40))
    fs = _fig(8, max(2.5, 0.3 * t["label"].nunique() + 1))
    ax = fs.add_subplot()
    sns.stripplot(data=t, x="relative", y="label", hue="status", palette=colours, ax=ax,
                  size=6, jitter=0.15)
    ax.set_xlabel("value / value at its first appearance")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# adverse events
# ------------------------------------------------------------------------------------------

def ae_bands(ledger: Ledger, title: str = "Adverse events by grade band") -> FigurePair:
    """Patients per event and grade band (table rows), with the printed patient-level totals and
    the bounds the event rows put on them."""
    a = ledger.adverse_events
    ev = a[(a["role"] == "event") & (a["count"].astype(str).str.strip() != "")]
    ev = ev[ev["source"] == "table"] if (ev["source"] == "table").any() else ev
    if ev.empty:
        return empty(title)
    ev = ev.assign(n=ev["count"].astype(int)).drop_duplicates(["event", "grade_band"])
    wide = ev.pivot_table(index="event", columns="grade_band", values="n", aggfunc="first",
                          fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    bands = list(wide.columns)
    colours = ["#8ecae6", "#bc4b51", "#f4a259", "#4c956c", "#8d99ae"]
    fig = go.Figure()
    for i, b in enumerate(bands):
        fig.add_trace(go.Bar(y=wide.index, x=wide[b], name=f"grade {b}", orientation="h",
                             marker_color=colours[i % len(colours)]))
    totals = a[(a["role"] == "total") & (a["count"].astype(str).str.strip() != "")]
    for _, t in totals.iterrows():
        fig.add_vline(x=int(t["count"]), line_dash="dash", line_color="black",
                      annotation_text=f"any event, grade {t['grade_band']}: {t['count']}",
                      annotation_position="top")
    fig.update_layout(barmode="stack", title=title, xaxis_title="patients",
                      height=max(350, 22 * len(wide) + 140), margin=dict(l=10, r=10, t=80, b=40))
    fs = _fig(8, max(3.0, 0.3 * len(wide) + 1.2))
    ax = fs.add_subplot()
    left = np.zeros(len(wide))
    for i, b in enumerate(bands):
        ax.barh(wide.index, wide[b], left=left, color=colours[i % len(colours)], label=f"grade {b}")
        left += wide[b].to_numpy()
    for _, t in totals.iterrows():
        ax.axvline(int(t["count"]), color="black", ls="--", lw=1)
        ax.text(int(t["count"]), len(wide) - 0.5, f" any, {t['grade_band']}: {t['count']}",
                fontsize=7, va="bottom")
    ax.set_xlabel("patients")
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    return FigurePair(fig, fs)


def total_bounds_plot(ledger: Ledger, title: str = "Patient-level totals against the bounds "
                      "the event rows set") -> FigurePair:
    """For each total row: the lower bound (largest single event), upper bound (sum of rows, capped
    at n) and the printed total."""
    from ..checks.arithmetic import cell_counts
    from ..core.printed import parse_int

    a = ledger.adverse_events
    cells = cell_counts(ledger, "half_up")
    recs = []
    for _, t in a[a["role"] == "total"].iterrows():
        k = parse_int(t["count"])
        band = grades_of(t["grade_band"])
        per_event: dict[str, int] = {}
        inside = []
        for (event, b), (cnt, _) in cells.items():
            if grades_of(b) <= band:
                per_event[event] = per_event.get(event, 0) + cnt
                inside.append(cnt)
        if k is None or not per_event:
            continue
        upper = band != set(range(1, 6))
        recs.append({"total": f"grade {t['grade_band']}", "low": max(per_event.values()),
                     "high": min(parse_int(t["denominator"]), sum(inside)) if upper
                     else parse_int(t["denominator"]), "printed": k})
    df = pd.DataFrame(recs)
    if df.empty:
        return empty(title)
    fig = go.Figure()
    fs = _fig(7, max(2.0, 0.6 * len(df) + 1))
    ax = fs.add_subplot()
    for i, r in df.iterrows():
        ok = r["low"] <= r["printed"] <= r["high"]
        colour = VERDICT_COLOURS["consistent" if ok else "impossible"]
        fig.add_trace(go.Scatter(x=[r["low"], r["high"]], y=[r["total"]] * 2, mode="lines",
                                 line=dict(width=8, color="#cccccc"), showlegend=False,
                                 hovertemplate="bounds %{x}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[r["printed"]], y=[r["total"]], mode="markers",
                                 marker=dict(size=14, color=colour, symbol="diamond"),
                                 name=f"printed {r['total']}: {r['printed']}"))
        ax.plot([r["low"], r["high"]], [i, i], color="#cccccc", lw=8, solid_capstyle="butt")
        ax.plot([r["printed"]], [i], marker="D", color=colour, ms=9)
    fig.update_layout(title=title, xaxis_title="patients", height=200 + 60 * len(df))
    ax.set_yticks(range(len(df)), list(df["total"]) if len(df) else [])
    ax.set_xlabel("patients (grey: possible range; diamond: printed)")
    ax.set_title(title, fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# sampling error
# ------------------------------------------------------------------------------------------

def ci_plot(ci_table: pd.DataFrame, alternatives: pd.DataFrame | None = None,
            title: str = "Exact (Clopper-Pearson) intervals of printed rates") -> FigurePair:
    """Forest plot of the printed rates with their exact intervals; other printed values of the
    same rate (``alternatives``) as red crosses."""
    t = ci_table.dropna(subset=["ci_low"]).drop_duplicates("quantity").reset_index(drop=True)
    if t.empty:
        return empty(title)
    t = t.iloc[::-1].reset_index(drop=True)
    labels = list(t["item"])
    fig = go.Figure(go.Scatter(
        x=t["percent"], y=labels, mode="markers", name="printed",
        marker=dict(color="#264653", size=7),
        error_x=dict(type="data", symmetric=False, array=t["ci_high"] - t["percent"],
                     arrayminus=t["percent"] - t["ci_low"]),
        hovertemplate="%{y}: %{x}%<extra></extra>"))
    fs = _fig(8, max(3.0, 0.22 * len(t) + 1))
    ax = fs.add_subplot()
    ax.errorbar(t["percent"], range(len(t)), xerr=[t["percent"] - t["ci_low"],
                                                   t["ci_high"] - t["percent"]],
                fmt="o", color="#264653", ms=3, lw=1)
    if alternatives is not None and len(alternatives):
        pos = {q: i for i, q in enumerate(t["quantity"])}
        alt = alternatives[alternatives["quantity"].isin(pos)]
        fig.add_trace(go.Scatter(x=alt["alternative"].astype(float),
                                 y=[labels[pos[q]] for q in alt["quantity"]], mode="markers",
                                 name="other printed value",
                                 marker=dict(color="#bc4b51", symbol="x", size=11)))
        ax.plot(alt["alternative"].astype(float), [pos[q] for q in alt["quantity"]], "x",
                color="#bc4b51", ms=8, label="other printed value")
        ax.legend(fontsize=7)
    fig.update_layout(title=title, xaxis_title="%", height=max(350, 16 * len(t) + 120),
                      yaxis=dict(automargin=True), margin=dict(l=10, r=10, t=60, b=40))
    ax.set_yticks(range(len(t)), labels)
    ax.tick_params(axis="y", labelsize=6)
    ax.set_xlabel("%")
    ax.set_title(title, fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# subgroups
# ------------------------------------------------------------------------------------------

def denominator_plot(table: pd.DataFrame, n: int,
                     title: str = "Subgroup sizes that produce all printed subgroup rates") -> FigurePair:
    """For each subgroup: every size 1..N that produces all its printed rates (dots) and the
    stated size (diamond: green if it fits, red if not)."""
    if table.empty:
        return empty(title)
    fig = go.Figure()
    fs = _fig(8, max(2.0, 0.7 * len(table) + 1))
    ax = fs.add_subplot()
    for i, r in table.reset_index(drop=True).iterrows():
        label = f"{r['size_level']} ({', '.join(r['rates'])}%)"
        fig.add_trace(go.Scatter(x=r["fitting"], y=[label] * len(r["fitting"]), mode="markers",
                                 marker=dict(color="#264653", size=7), name="fitting sizes",
                                 showlegend=i == 0))
        colour = VERDICT_COLOURS["consistent" if r["stated_fits"] else "impossible"]
        fig.add_trace(go.Scatter(x=[r["stated"]], y=[label], mode="markers",
                                 marker=dict(color=colour, size=14, symbol="diamond"),
                                 name=f"stated size {r['stated']}"))
        ax.plot(r["fitting"], [i] * len(r["fitting"]), "o", color="#264653", ms=4)
        ax.plot([r["stated"]], [i], "D", color=colour, ms=9)
    fig.add_vline(x=n, line_dash="dot", annotation_text=f"N = {n}")
    fig.update_layout(title=title, xaxis_title="subgroup size", xaxis_range=[0, n * 1.05],
                      height=220 + 60 * len(table))
    ax.axvline(n, ls=":", color="grey")
    labels = [f"{lv}" for lv in table["size_level"]]
    ax.set_yticks(range(len(table)), labels)
    ax.set_xlim(0, n * 1.05)
    ax.set_xlabel("subgroup size (dots: sizes that fit; diamond: stated)")
    ax.set_title(title, fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# means and cut-offs
# ------------------------------------------------------------------------------------------

def cutoff_plot(table: pd.DataFrame, title: str = "Cut-offs used in the Cox model against the "
                "printed mean ± SD (normal approximation)") -> FigurePair:
    """One panel per variable summarised by mean ± SD: the normal density with the cut-off and the
    implied share beyond it."""
    if table.empty:
        return empty(title)
    t = table[table["statistic"] == "mean_sd"].drop_duplicates(["variable", "cut"])
    t = t.reset_index(drop=True)
    if t.empty:
        return empty(title)
    k = max(1, len(t))
    cols = min(3, k)
    rows = math.ceil(k / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[
        f"{r['summary']}: cut {r['cut']:g}" for _, r in t.iterrows()])
    fs = _fig(4 * cols, 2.6 * rows)
    axes = fs.subplots(rows, cols, squeeze=False)
    from scipy.stats import norm

    for i, r in t.iterrows():
        m, s = float(r["center"]), float(r["sd"])
        x = np.linspace(m - 4 * s, m + 4 * s, 200)
        y = norm.pdf(x, m, s)
        above = x >= r["cut"]
        share_above = 100 * float(norm.sf((r["cut"] - m) / s))
        rr, cc = divmod(i, cols)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color="#264653"),
                                 showlegend=False), row=rr + 1, col=cc + 1)
        fig.add_trace(go.Scatter(x=x[above], y=y[above], fill="tozeroy", mode="none",
                                 fillcolor="rgba(188,75,81,0.4)", showlegend=False,
                                 hovertemplate=f">= cut: {share_above:.1f}%<extra></extra>"),
                      row=rr + 1, col=cc + 1)
        fig.add_vline(x=r["cut"], line_dash="dash", row=rr + 1, col=cc + 1)
        ax = axes[rr][cc]
        ax.plot(x, y, color="#264653")
        ax.fill_between(x[above], y[above], color="#bc4b51", alpha=0.4)
        ax.axvline(r["cut"], ls="--", color="black", lw=1)
        ax.set_title(f"{r['summary']}: {share_above:.0f}% >= {r['cut']:g}", fontsize=8)
        ax.set_yticks([])
    for j in range(len(t), rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.update_layout(title=title, height=280 * rows + 80)
    fs.suptitle(title, fontsize=9)
    fs.tight_layout()
    return FigurePair(fig, fs)


def limits_plot(ledger: Ledger, title: str = "Summaries against the inclusion limits") -> FigurePair:
    """Each summary of a variable with inclusion limits: limits (grey band), centre, mean ± SD or
    range."""
    from ..checks.means import limits_for

    s = ledger.summaries
    recs = []
    for _, r in s.iterrows():
        lim = limits_for(ledger, r["variable"])
        if lim is None:
            continue
        c = parse_printed(r["center"]).value
        if r["statistic"] == "mean_sd":
            sd = parse_printed(r["sd"]).value
            lo, hi, what = c - sd, c + sd, "mean ± SD"
        elif str(r["low"]).strip():
            lo, hi = parse_printed(r["low"]).value, parse_printed(r["high"]).value
            what = "range" if r["statistic"] == "median_range" else "IQR"
        else:
            lo = hi = c
            what = "centre"
        recs.append({"label": f"{r['variable']} ({r['locator']})", "centre": c, "lo": lo, "hi": hi,
                     "what": what, "limit_low": lim[0], "limit_high": lim[1]})
    df = pd.DataFrame(recs)
    if df.empty:
        return empty(title)
    fig = go.Figure()
    fs = _fig(7, max(2.0, 0.5 * len(df) + 1))
    ax = fs.add_subplot()
    for i, r in df.iterrows():
        fig.add_trace(go.Scatter(x=[r["limit_low"], r["limit_high"]], y=[r["label"]] * 2,
                                 mode="lines", line=dict(color="#dddddd", width=14),
                                 name="inclusion limits", showlegend=i == 0))
        fig.add_trace(go.Scatter(x=[r["centre"]], y=[r["label"]], mode="markers",
                                 marker=dict(color="#264653", size=9),
                                 error_x=dict(type="data", symmetric=False,
                                              array=[r["hi"] - r["centre"]],
                                              arrayminus=[r["centre"] - r["lo"]]),
                                 name=r["what"], showlegend=i == 0))
        ax.plot([r["limit_low"], r["limit_high"]], [i, i], color="#dddddd", lw=10)
        ax.errorbar([r["centre"]], [i], xerr=[[r["centre"] - r["lo"]], [r["hi"] - r["centre"]]],
                    fmt="o", color="#264653")
    fig.update_layout(title=title, height=200 + 50 * len(df), yaxis=dict(automargin=True))
    ax.set_yticks(range(len(df)), list(df["label"]) if len(df) else [])
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title + " (grey: limits; bar: mean ± SD or range)", fontsize=9)
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# design: accrual, cut-off and the follow-up the inclusion rules need
# ------------------------------------------------------------------------------------------

def timeline_plot(ledger: Ledger, title: str = "Accrual, data cut-off and the follow-up the "
                  "inclusion rules need") -> FigurePair:
    """Accrual window and cut-off on a calendar, with the latest start that still allows the
    required number of assessments at the shortest imaging interval."""
    from datetime import timedelta

    from ..checks.design import date_span, design_row, to_weeks

    acc = design_row(ledger, "accrual")
    cut = design_row(ledger, "data_cutoff")
    need = design_row(ledger, "min_tumour_assessments")
    every = design_row(ledger, "imaging_interval")
    fig = go.Figure()
    fs = _fig(8, 2.2)
    ax = fs.add_subplot()
    if acc is None or cut is None:
        return empty(title)
    a0 = date_span(acc["value"])[0]
    a1 = date_span(acc["value_high"])[1] if str(acc["value_high"]).strip() else a0
    c1 = date_span(cut["value"])[1]
    fig.add_trace(go.Scatter(x=[a0, a1], y=["accrual"] * 2, mode="lines",
                             line=dict(width=14, color="#8ecae6"), name="accrual window"))
    ax.plot([a0, a1], [1, 1], lw=10, color="#8ecae6", solid_capstyle="butt", label="accrual")
    fig.add_trace(go.Scatter(x=[c1], y=["accrual"], mode="markers", name="data cut-off",
                             marker=dict(symbol="line-ns-open", size=26, color="black")))
    ax.axvline(c1, color="black", lw=1.5, label="data cut-off")
    if need is not None and every is not None:
        weeks = parse_printed(need["value"]).value * to_weeks(every["value"], every["unit"])
        latest = c1 - timedelta(days=7 * weeks)
        fig.add_vrect(x0=latest, x1=c1, fillcolor="#bc4b51", opacity=0.2, line_width=0,
                      annotation_text=f"too late for {need['value']} assessments",
                      annotation_position="top left")
        ax.axvspan(latest, c1, color="#bc4b51", alpha=0.2,
                   label=f"too late for {need['value']} assessments")
    fig.update_layout(title=title, height=260, xaxis_title="calendar date")
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title, fontsize=9)
    fs.autofmt_xdate()
    return FigurePair(fig, fs)


# ------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------

FINDING_COLUMNS = ["check", "item", "verdict", "severity", "category", "printed", "expected",
                   "explanation", "locators"]


def findings_table(df: pd.DataFrame) -> pd.DataFrame:
    """A section's findings as a reviewer reads them (most severe first; the columns that matter)."""
    if df.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return df[FINDING_COLUMNS].reset_index(drop=True)
