"""Figures of the checks: one interactive plotly figure per result, for JupyterLab and the HTML.

Every function returns a :class:`plotly.graph_objects.Figure`; ``plots.show(fig)`` displays it as
plotly's JSON output (``application/vnd.plotly.v1+json``), which JupyterLab renders and the HTML
export (:mod:`helpers.report.export`) draws with the one shared copy of plotly.js. There is no
static twin: no static file is needed by the report (a reader who wants one uses the camera
button of the figure).

Rules every figure follows:

* **evidence in, no verdict out**: a figure draws what a check produced (its findings, or the
  evidence table of its family) and never decides a verdict itself; colours by verdict come from
  the findings (a row without one is drawn as "no finding");
* **colour-blind safe**: verdict colours from the Okabe-Ito palette (blue, orange, reddish purple,
  vermillion, grey), each verdict with its own marker shape too, so no figure needs red against
  green;
* **legends beside the plot** (right of the axes, never over them);
* **a title that says what to look for** (second line of the title);
* **bounded**: a figure with one row per printed item draws at most :data:`MAX_ITEMS` rows, the
  most notable first (flagged verdicts, then the largest departures), and its title says how many
  of how many it draws; the findings tables and files list every item. A very large ledger then
  gives a readable figure of a fixed size, not one row per item.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..checks.policy import percent_rows
from ..core.printed import parse_printed
from ..core.rounding import RULES, counts_giving
from ..core.rounding import exact as exact_value
from ..ledger.load import Ledger
from .tables import FINDING_COLUMNS, FindingsTable, findings_table, format_number  # noqa: F401

# Okabe & Ito (2008), "Color universal design": distinguishable in the common colour-vision
# deficiencies.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
             "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "grey": "#999999"}
VERDICT_COLOURS = {"consistent": OKABE_ITO["blue"], "inconsistent": OKABE_ITO["orange"],
                   "implausible": OKABE_ITO["reddish_purple"], "impossible": OKABE_ITO["vermillion"],
                   "not testable": OKABE_ITO["grey"], "no finding": "#BBBBBB"}
VERDICT_SYMBOLS = {"consistent": "circle", "inconsistent": "diamond", "implausible": "square",
                   "impossible": "x", "not testable": "circle-open", "no finding": "circle-open"}
VERDICT_ORDER = ["impossible", "implausible", "inconsistent", "consistent", "not testable",
                 "no finding"]
SERIES = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue",
                                 "vermillion", "yellow", "black")]
NEUTRAL = "#444444"
BAND = "#D9D9D9"


MAX_ITEMS = 150   # rows a per-item figure draws at most (the most notable; see notable_rows)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
FIGURE_CONFIG = {"responsive": True, "displaylogo": False}


def figure_bundle(fig: go.Figure) -> dict:
    """The display bundle of a figure: plotly's JSON output alone (what plotly's
    ``plotly_mimetype`` renderer emits), built without plotly's renderer machinery, whose import
    loads nbformat and jsonschema (seconds per kernel)."""
    import json

    import plotly.io as pio

    payload = json.loads(pio.to_json(fig, validate=False, remove_uids=False))
    payload["config"] = dict(FIGURE_CONFIG)
    return {PLOTLY_MIME: payload}


def show(fig) -> None:
    """Display a figure as plotly's JSON output only (JupyterLab renders it; the HTML export
    draws it with the shared plotly.js), so no notebook carries a copy of plotly.js."""
    from IPython.display import display

    if fig is None:
        return
    display(figure_bundle(fig), raw=True)


def layout(fig: go.Figure, title: str, look_for: str = "", *, height: int | None = None,
           xaxis_title: str | None = None, yaxis_title: str | None = None) -> go.Figure:
    """The common layout: title with what to look for on its second line, white template, legend
    to the right of the axes (never over them), long y labels given room."""
    text = f"{title}<br><sup>{look_for}</sup>" if look_for else title
    fig.update_layout(title=dict(text=text, x=0, xanchor="left"), template="simple_white",
                      legend=dict(x=1.02, xanchor="left", y=1, yanchor="top",
                                  bgcolor="rgba(255,255,255,0)"),
                      margin=dict(l=10, r=10, t=90 if look_for else 60, b=50),
                      hoverlabel=dict(namelength=-1))
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    if height:
        fig.update_layout(height=int(height))
    if xaxis_title is not None:
        fig.update_xaxes(title_text=xaxis_title)
    if yaxis_title is not None:
        fig.update_yaxes(title_text=yaxis_title)
    return fig


def empty(title: str) -> go.Figure:
    """A figure saying there is nothing to draw (e.g. a study without that table)."""
    fig = go.Figure()
    fig.add_annotation(text="nothing to show for this study", showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, "nothing to look for: the study prints no numbers this figure draws",
                  height=220)


def _verdict_marker(verdict: str, size: int = 10) -> dict:
    return dict(size=size, color=VERDICT_COLOURS.get(verdict, NEUTRAL),
                symbol=VERDICT_SYMBOLS.get(verdict, "circle"),
                line=dict(width=1, color=VERDICT_COLOURS.get(verdict, NEUTRAL)))


class _Verdicts:
    """The most severe verdict the given checks gave each (quantity, locator) and each quantity,
    indexed once (a lookup per printed row; the findings are not scanned per row)."""

    def __init__(self, findings: pd.DataFrame | None, checks):
        self.by_place: dict[tuple[str, str], str] = {}
        self.by_quantity: dict[str, str] = {}
        if findings is None or findings.empty:
            return
        f = findings[findings["check"].isin(list(checks))]
        for q, locs, v in zip(f["quantity"], f["locators"], f["verdict"]):
            self._keep(self.by_quantity, q, v)
            for loc in str(locs).split("; "):
                self._keep(self.by_place, (q, loc), v)

    @staticmethod
    def _rank(v: str) -> int:
        return VERDICT_ORDER.index(v) if v in VERDICT_ORDER else 99

    def _keep(self, d: dict, key, v: str) -> None:
        if key not in d or self._rank(v) < self._rank(d[key]):
            d[key] = v

    def __call__(self, quantity: str, locator: str = "") -> str:
        """The verdict of this quantity at this locator (any locator when ``locator`` is empty);
        "no finding" when the checks gave none."""
        if locator:
            return self.by_place.get((quantity, locator), "no finding")
        return self.by_quantity.get(quantity, "no finding")


def notable_rows(t: pd.DataFrame, keys: list, *, limit: int | None = None,
                 what: str = "rows", why: str = "") -> tuple[pd.DataFrame, str]:
    """The rows a bounded figure draws, and the sentence saying so.

    Parameters
    ----------
    t : DataFrame
        One row per item the figure would draw.
    keys : list of array-like
        Sort keys, most important first, each as long as ``t``; smaller is more notable (e.g.
        the verdict's rank, then minus the size of a departure).
    limit : int, optional
        Rows kept (default :data:`MAX_ITEMS`).
    what, why : str
        What a row is and how the kept ones were chosen, for the sentence.

    Returns
    -------
    (DataFrame, str)
        ``t`` itself and "" when it has at most ``limit`` rows; else the ``limit`` most notable
        rows in their original order and a sentence "drawing the 150 most notable of 25,000 ...".

    Example
    -------
    >>> t = pd.DataFrame({"x": [0.1, 5.0, -3.0, 0.2]})
    >>> kept, note = notable_rows(t, [-t["x"].abs()], limit=2, what="percentages")
    >>> list(kept["x"]), note
    ([5.0, -3.0], 'drawing the 2 most notable of 4 percentages; the findings list every one')
    """
    limit = MAX_ITEMS if limit is None else int(limit)
    if len(t) <= limit:
        return t, ""
    keep = notable_positions(len(t), keys, limit)
    note = (f"drawing the {limit:,} most notable of {len(t):,} {what}"
            + (f" ({why})" if why else "") + "; the findings list every one")
    return t.iloc[keep].reset_index(drop=True), note


def notable_positions(n: int, keys: list, limit: int | None = None) -> np.ndarray:
    """Positions, ascending (the table's order), of the ``limit`` rows (default
    :data:`MAX_ITEMS`) that sort first by ``keys`` (arrays of length ``n``, most important
    first; smaller sorts first; ties keep the table's order); every position when ``n <= limit``.
    The one selection rule of every bounded figure (:func:`notable_rows`, the forest figures)."""
    limit = MAX_ITEMS if limit is None else int(limit)
    if n <= limit:
        return np.arange(n)
    order = np.lexsort([np.asarray(k, dtype=float) for k in reversed(keys)] or [np.arange(n)])
    return np.sort(order[:limit])


def _with_note(look_for: str, note: str) -> str:
    return f"{look_for}; {note}" if note else look_for


def verdict_rank(verdicts) -> np.ndarray:
    """The rank of each verdict in :data:`VERDICT_ORDER` (impossible 0, implausible 1,
    inconsistent 2, ...; an unknown verdict after all of them): a sort key for bounded figures."""
    return np.array([VERDICT_ORDER.index(v) if v in VERDICT_ORDER else len(VERDICT_ORDER)
                     for v in verdicts], dtype=int)


def _by_verdict(t: pd.DataFrame):
    present = [v for v in VERDICT_ORDER if v in set(t["verdict"])]
    return [(v, t[t["verdict"] == v]) for v in present]


# ------------------------------------------------------------------------------------------
# printed vs recomputed percentages
# ------------------------------------------------------------------------------------------

def deviation_table(ledger: Ledger, prefix=None, findings: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Each printed percentage with a count: the exact ``100*count/n`` and the printed value's
    distance from it in units of the last printed digit (0 to -1 is truncation, -0.5 to 0.5
    rounding to nearest). Rows without a count use the nearest count out of n. The verdict is the
    one the ``percent_count``/``grim_percent`` findings gave the row (``findings``, matched by
    quantity and locator), else "no finding"."""
    rows = percent_rows(ledger, prefix)
    verdict_of = _Verdicts(findings, ("percent_count", "grim_percent"))
    recs = []
    for _, r in rows.iterrows():
        n = r["denominator"]
        if not n:
            continue
        p = parse_printed(r["percent"])
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
                     "exact": float(exact), "deviation_units": dev,
                     "verdict": verdict_of(r["quantity"], r["locator"])})
    return pd.DataFrame(recs, columns=["item", "locator", "quantity", "printed", "count", "n",
                                       "count_from", "exact", "deviation_units", "verdict"])


def percent_deviation(table: pd.DataFrame, title: str = "Printed percentage minus count/n",
                      limit: float = 3.0) -> go.Figure:
    """Dot plot: each printed percentage's distance from ``count/n`` in units of its last digit,
    with the windows of rounding to nearest and truncation shaded. Points beyond ``limit`` units
    are drawn at the edge (triangles) with their value in the label; colour and shape are the
    verdicts of the findings."""
    if table.empty:
        return empty(title)
    t, note = notable_rows(table.reset_index(drop=True),
                           [verdict_rank(table["verdict"]), -table["deviation_units"].abs()],
                           what="printed percentages", why="flagged first, then the farthest")
    t = t.sort_values(["deviation_units", "item"], kind="mergesort").reset_index(drop=True)
    off = t["deviation_units"].abs() > limit
    t["x"] = t["deviation_units"].clip(-limit, limit)
    t["label"] = [f"{i}  ({loc})" + (f"  [{d:+.1f} units]" if o else "")
                  for i, loc, d, o in zip(t["item"], t["locator"], t["deviation_units"], off)]
    fig = go.Figure()
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor=OKABE_ITO["sky_blue"], opacity=0.15, line_width=0)
    fig.add_vrect(x0=-1, x1=0, fillcolor=OKABE_ITO["yellow"], opacity=0.18, line_width=0)
    fig.add_annotation(x=0, y=1.0, yref="paper", text="round to nearest: -0.5 to 0.5",
                       showarrow=False, yanchor="bottom", font=dict(size=10))
    fig.add_annotation(x=-0.5, y=1.0, yref="paper", text="truncate: -1 to 0", showarrow=False,
                       yanchor="bottom", yshift=14, font=dict(size=10))
    for verdict, g in _by_verdict(t):
        fig.add_trace(go.Scatter(
            x=g["x"], y=g["label"], mode="markers", name=verdict,
            marker={**_verdict_marker(verdict),
                    "symbol": ["triangle-right" if o and x > 0 else "triangle-left" if o else
                               VERDICT_SYMBOLS.get(verdict, "circle")
                               for o, x in zip(off[g.index], g["x"])]},
            customdata=np.stack([g["printed"], g["count"], g["n"], g["exact"],
                                 g["deviation_units"]], axis=1),
            hovertemplate="printed %{customdata[0]}%<br>%{customdata[1]}/%{customdata[2]} = "
                          "%{customdata[3]:.4f}%<br>deviation %{customdata[4]:.2f} units"
                          "<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=list(t["label"]))
    fig.update_xaxes(range=[-limit - 0.3, limit + 0.3])
    return layout(fig, title, _with_note("look for points outside both shaded windows: no "
                                         "rounding rule turns count/n into the printed value", note),
                  height=max(350, 18 * len(t) + 140),
                  xaxis_title="printed - count/n (units of the last printed digit)")


def rule_heatmap(rule_table: pd.DataFrame, title: str = "Which rounding rule each printed "
                 "percentage needs") -> go.Figure:
    """Printed percentages (rows) by rounding rule (columns): the rule fits (blue) or not (light
    grey, with a cross), from :func:`helpers.checks.policy.rule_table`."""
    t = rule_table[rule_table["testable"].astype(bool)].reset_index(drop=True)
    if t.empty:
        return empty(title)
    t, note = notable_rows(t, [t[list(RULES)].astype(int).sum(axis=1)], what="printed percentages",
                           why="those the fewest rules fit")
    labels = [f"{i} = {p}%  ({fam})" for i, p, fam in zip(t["item"], t["percent"], t["family"])]
    z = t[list(RULES)].astype(int).to_numpy()
    x = [r.replace("_", "-") for r in RULES]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=labels, zmin=0, zmax=1,
                               colorscale=[[0, "#EEEEEE"], [1, OKABE_ITO["blue"]]], showscale=False,
                               xgap=2, ygap=1, customdata=np.where(z == 1, "fits", "does not fit"),
                               hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>"))
    rows, cols = np.nonzero(z == 0)
    if len(rows):
        fig.add_trace(go.Scatter(x=[x[c] for c in cols], y=[labels[r] for r in rows],
                                 mode="markers", marker=dict(symbol="x-thin", size=8,
                                                             line=dict(width=1.5, color=NEUTRAL)),
                                 name="does not fit", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="fits",
                             marker=dict(symbol="square", size=12, color=OKABE_ITO["blue"])))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, title, _with_note("look for rows no rule fits (crosses everywhere) and "
                                         "places whose rows need different rules", note),
                  height=max(350, 16 * len(t) + 140))


def level_sums(table: pd.DataFrame, title: str = "Levels of each variable against their "
               "denominator", findings: pd.DataFrame | None = None) -> go.Figure:
    """Stacked bars: the printed counts of the levels of each variable at each place, with the
    denominator they should add up to (black tick); the difference is written beside a bar
    whose levels do not add up (evidence: the verdict is the ``level_sum`` finding's)."""
    t = table.dropna(subset=["sum"]).reset_index(drop=True) if len(table) else table
    if t.empty:
        return empty(title)
    gap = (pd.to_numeric(t["sum"], errors="coerce") - pd.to_numeric(t["denominator"], errors="coerce"))
    t, note = notable_rows(t, [-gap.abs().fillna(0)], what="variables",
                           why="the largest gaps between sum and denominator")
    labels = [f"{v} ({fam})" for v, fam in zip(t["variable"], t["family"])]
    names = list(dict.fromkeys(lv for levels in t["levels"] for lv in levels))
    colour_of = {lv: SERIES[j % len(SERIES)] for j, lv in enumerate(names)}
    # one bar trace per level name and one marker trace for the denominators, each built from
    # lists (adding a trace per bar makes the figure quadratic in the number of rows)
    bars: dict[str, tuple[list, list]] = {lv: ([], []) for lv in names}
    notes = []
    for label, levels, counts, total, den in zip(labels, t["levels"], t["counts"], t["sum"],
                                                 t["denominator"]):
        for lv, k in zip(levels, counts):
            bars[lv][0].append(label)
            bars[lv][1].append(k)
        if total != den:
            notes.append(dict(x=max(total, den), y=label, xanchor="left", showarrow=False,
                              text=f"  sum {total} vs {den}", font=dict(size=10)))
    fig = go.Figure()
    for lv, (ys, xs) in bars.items():
        fig.add_trace(go.Bar(y=ys, x=xs, orientation="h", name=lv, showlegend=False,
                             marker=dict(color=colour_of[lv], line=dict(color="white", width=1)),
                             text=[lv] * len(xs), textposition="inside", insidetextanchor="middle",
                             hovertemplate=f"{lv}: %{{x}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(t["denominator"]), y=labels, mode="markers", name="denominator",
                             marker=dict(symbol="line-ns-open", size=22, color="black",
                                         line=dict(width=3)),
                             customdata=list(t["sum"]),
                             hovertemplate="denominator %{x}; sum %{customdata}<extra></extra>"))
    fig.update_layout(annotations=notes)
    fig.update_layout(barmode="stack", uniformtext=dict(minsize=8, mode="hide"))
    return layout(fig, title, _with_note("look for bars that stop short of, or run past, the black "
                                         "tick", note),
                  height=200 + 40 * len(t), xaxis_title="patients")


def grim_power(table: pd.DataFrame, title: str = "GRIM power: step between attainable means "
               "against the printed unit") -> go.Figure:
    """For each printed mean: the step between attainable means (granularity / n) and the printed
    unit. GRIM can only flag a mean whose step is larger than its unit."""
    t = table.dropna(subset=["step"]).reset_index(drop=True) if len(table) else table
    if t.empty:
        return empty(title)
    t, note = notable_rows(t, [-(t["step"].astype(float) / t["unit"].astype(float))],
                           what="means", why="the most testable")
    labels = [f"{v} ({loc})" for v, loc in zip(t["variable"], t["locator"])]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t["step"], y=labels, mode="markers", name="step = granularity / n",
                             marker=dict(size=10, color=OKABE_ITO["blue"])))
    fig.add_trace(go.Scatter(x=t["unit"], y=labels, mode="markers", name="printed unit",
                             marker=dict(size=16, symbol="line-ns-open", color=OKABE_ITO["vermillion"],
                                         line=dict(width=2))))
    fig.update_xaxes(type="log")
    return layout(fig, title, _with_note("look for dots right of the tick: only there can GRIM "
                                         "test the mean", note),
                  height=200 + 40 * len(t), xaxis_title="step (log scale)")


# ------------------------------------------------------------------------------------------
# appearances
# ------------------------------------------------------------------------------------------

def appearances_plot(table: pd.DataFrame, findings: pd.DataFrame | None = None,
                     title: str = "Quantities printed more than once") -> go.Figure:
    """One row per quantity printed more than once: its printed values (percent, else the first
    numeric field) at each place, relative to its first appearance; colour and shape are the
    verdict of the quantity's ``appearances`` finding."""
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
        return empty(title)
    t = pd.concat(pick, ignore_index=True)
    verdict_of = _Verdicts(findings, ("appearances",))
    t["verdict"] = [verdict_of(q) for q in t["quantity"]]
    per_q = t.groupby("quantity", sort=False).agg(verdict=("verdict", "first"), lo=("x", "min"),
                                                  hi=("x", "max")).reset_index()
    kept, note = notable_rows(per_q, [verdict_rank(per_q["verdict"]), -(per_q["hi"] - per_q["lo"])],
                              what="quantities", why="flagged first, then the widest spread")
    if note:
        t = t[t["quantity"].isin(set(kept["quantity"]))].reset_index(drop=True)
    t["relative"] = t.groupby("quantity")["x"].transform(lambda s: s / s.iloc[0] if s.iloc[0] else s)
    fig = go.Figure()
    for verdict, g in _by_verdict(t):
        fig.add_trace(go.Scatter(x=g["relative"], y=g["label"], mode="markers", name=verdict,
                                 marker={**_verdict_marker(verdict), "opacity": 0.85},
                                 text=[f"{v} at {loc}" for v, loc in zip(g["value"], g["locator"])],
                                 hovertemplate="%{text}<extra></extra>"))
    fig.add_vline(x=1, line=dict(color=NEUTRAL, dash="dot", width=1))
    return layout(fig, title, _with_note("look for rows whose points do not sit on 1: the same "
                                         "quantity printed with different values", note), height=max(300, 24 * t["label"].nunique() + 140),
                  xaxis_title="value / value at its first appearance")


# ------------------------------------------------------------------------------------------
# adverse events
# ------------------------------------------------------------------------------------------

def ae_bands(ledger: Ledger, title: str = "Adverse events by grade band") -> go.Figure:
    """Patients per event and grade band (table rows), with the printed patient-level totals as
    dashed lines."""
    a = ledger.adverse_events
    ev = a[(a["role"] == "event") & (a["count"].astype(str).str.strip() != "")]
    ev = ev[ev["source"] == "table"] if (ev["source"] == "table").any() else ev
    if ev.empty:
        return empty(title)
    ev = ev.assign(n=ev["count"].astype(int)).drop_duplicates(["event", "grade_band"])
    wide = ev.pivot_table(index="event", columns="grade_band", values="n", aggfunc="first",
                          fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    kept, note = notable_rows(wide.reset_index(), [-wide.sum(axis=1).to_numpy()], what="events",
                              why="the most frequent")
    if note:
        wide = wide.loc[list(kept["event"])]
    fig = go.Figure()
    for i, b in enumerate(wide.columns):
        fig.add_trace(go.Bar(y=list(wide.index), x=wide[b], name=f"grade {b}", orientation="h",
                             marker_color=SERIES[i % len(SERIES)]))
    totals = a[(a["role"] == "total") & (a["count"].astype(str).str.strip() != "")]
    for _, t in totals.iterrows():
        fig.add_vline(x=int(t["count"]), line_dash="dash", line_color="black",
                      annotation_text=f"any event, grade {t['grade_band']}: {t['count']}",
                      annotation_position="top")
    fig.update_layout(barmode="stack")
    return layout(fig, title, _with_note("look for a dashed total left of an event's bar of the "
                                         "same band: fewer patients with any event than with that "
                                         "one cannot be right", note), height=max(350, 22 * len(wide) + 160),
                  xaxis_title="patients")


def _bounds(expected: str) -> tuple[int, int] | None:
    try:
        lo, hi = str(expected).strip().strip("[]").split(",")
        return int(lo), int(hi)
    except ValueError:
        return None


def _first_count(printed: str) -> int | None:
    import re

    m = re.match(r"\s*(\d+)(?![\d.%])", str(printed))
    return int(m.group(1)) if m else None


def total_bounds_plot(findings, ledger: Ledger | None = None,
                      title: str = "Patient-level totals against the bounds the event rows set"
                      ) -> go.Figure:
    """For each total the ``total_bounds`` check tested: the range its event rows allow (its
    finding's ``expected``, ``[largest single event, sum of the rows]``) and the printed total,
    coloured by the finding's verdict.

    Parameters
    ----------
    findings : DataFrame or Ledger
        Findings that include the ``total_bounds`` check's (e.g. ``nb.run(...)`` or
        ``nb.log.frame()``). A Ledger is accepted for old callers: the registered check is run on
        it (default settings, whole ledger) and its findings drawn.
    ledger : Ledger, optional
        Where the printed totals are read (the ``count`` of the row the finding names by
        quantity); without it, the total the finding's explanation starts with.
    """
    if isinstance(findings, Ledger):
        ledger = findings
        from ..checks import registry
        from ..core.findings import findings_frame

        ctx = registry.Context(findings)
        findings = findings_frame(registry.findings_of([registry.run_check("total_bounds", ctx)]))
    f = findings[findings["check"] == "total_bounds"] if len(findings) else findings
    recs = []
    for _, r in f.iterrows():
        b = _bounds(r["expected"])
        if b is None:
            continue
        printed = _first_count(r["explanation"])
        if ledger is not None:
            a = ledger.adverse_events
            row = a[(a["quantity"] == r["quantity"]) & (a["role"] == "total")]
            if len(row) and _first_count(row["count"].iloc[0]) is not None:
                printed = _first_count(row["count"].iloc[0])
        recs.append({"total": r["item"], "low": b[0], "high": b[1],
                     "printed": printed, "verdict": r["verdict"],
                     "explanation": r["explanation"]})
    df = pd.DataFrame(recs)
    if df.empty:
        return empty(title)
    df, note = notable_rows(df, [verdict_rank(df["verdict"])], what="totals", why="flagged first")
    fig = go.Figure()
    for i, r in df.iterrows():
        fig.add_trace(go.Scatter(x=[r["low"], r["high"]], y=[r["total"]] * 2, mode="lines",
                                 line=dict(width=10, color=BAND), name="possible range",
                                 showlegend=i == 0,
                                 hovertemplate=f"possible: {r['low']} to {r['high']}<extra></extra>"))
    for verdict, g in _by_verdict(df.dropna(subset=["printed"])):
        fig.add_trace(go.Scatter(x=g["printed"], y=g["total"], mode="markers",
                                 marker=_verdict_marker(verdict, 14), name=f"printed: {verdict}",
                                 text=g["explanation"],
                                 hovertemplate="printed %{x}<br>%{text}<extra></extra>"))
    return layout(fig, title, _with_note("look for a printed total outside its grey range", note),
                  height=220 + 60 * len(df), xaxis_title="patients")


# ------------------------------------------------------------------------------------------
# sampling error
# ------------------------------------------------------------------------------------------

def ci_plot(ci_table: pd.DataFrame, alternatives: pd.DataFrame | None = None,
            title: str = "Exact (Clopper-Pearson) intervals of printed rates") -> go.Figure:
    """Forest plot of the printed rates with their exact intervals; other printed values of the
    same rate (``alternatives``) as crosses."""
    t = ci_table.dropna(subset=["ci_low"]).drop_duplicates("quantity").reset_index(drop=True)
    if t.empty:
        return empty(title)
    other = (set(alternatives["quantity"]) if alternatives is not None and len(alternatives)
             else set())
    t, note = notable_rows(t, [~t["quantity"].isin(other).to_numpy()], what="rates",
                           why="those printed with another value first")
    labels = list(t["item"])
    fig = go.Figure(go.Scatter(
        x=t["percent"], y=labels, mode="markers", name="printed rate (exact CI)",
        marker=dict(color=OKABE_ITO["blue"], size=7),
        error_x=dict(type="data", symmetric=False, array=t["ci_high"] - t["percent"],
                     arrayminus=t["percent"] - t["ci_low"], color=OKABE_ITO["blue"]),
        hovertemplate="%{y}: %{x}%<extra></extra>"))
    if alternatives is not None and len(alternatives):
        alt = alternatives[alternatives["quantity"].isin(set(t["quantity"]))]
        label_of = dict(zip(t["quantity"], labels))
        fig.add_trace(go.Scatter(x=alt["alternative"].astype(float),
                                 y=[label_of[q] for q in alt["quantity"]], mode="markers",
                                 name="other printed value",
                                 marker=dict(color=OKABE_ITO["vermillion"], symbol="x", size=11)))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    return layout(fig, title, _with_note("look for another printed value of the same rate (cross) "
                                         "outside its interval", note), height=max(350, 16 * len(t) + 140), xaxis_title="%")


# ------------------------------------------------------------------------------------------
# subgroups
# ------------------------------------------------------------------------------------------

def denominator_plot(table: pd.DataFrame, n: int,
                     title: str = "Subgroup sizes that produce all printed subgroup rates"
                     ) -> go.Figure:
    """For each subgroup: every size 1..N that produces all its printed rates (dots) and the
    stated size (diamond), from :func:`helpers.checks.arithmetic.denominator_table`; the
    diamond's colour says whether the table found that the stated size fits."""
    if table.empty:
        return empty(title)
    fig = go.Figure()
    t, note = notable_rows(table.reset_index(drop=True),
                           [table["stated_fits"].astype(bool).to_numpy()], what="subgroups",
                           why="those whose stated size does not fit first")
    t = t.copy()
    t["label"] = [f"{r['size_level']} ({', '.join(r['rates'])}%)" for _, r in t.iterrows()]
    for i, r in t.iterrows():
        fig.add_trace(go.Scatter(x=r["fitting"], y=[r["label"]] * len(r["fitting"]), mode="markers",
                                 marker=dict(color=NEUTRAL, size=6), name="sizes that fit",
                                 showlegend=i == 0))
    for fits, g in t.groupby(t["stated_fits"].astype(bool), sort=False):
        fig.add_trace(go.Scatter(x=g["stated"], y=g["label"], mode="markers",
                                 marker=_verdict_marker("consistent" if fits else "impossible", 14)
                                 | {"symbol": "diamond" if fits else "x"},
                                 name="stated size fits" if fits else "stated size does not fit",
                                 hovertemplate="stated size %{x}<extra></extra>"))
    fig.add_vline(x=n, line_dash="dot", annotation_text=f"N = {n}")
    fig.update_xaxes(range=[0, n * 1.05])
    return layout(fig, title, _with_note("look for a stated size (diamond or cross) away from every "
                                         "dot", note),
                  height=220 + 60 * len(t), xaxis_title="subgroup size")


# ------------------------------------------------------------------------------------------
# means and cut-offs
# ------------------------------------------------------------------------------------------

def cutoff_plot(table: pd.DataFrame, title: str = "Cut-offs used in the Cox model against the "
                "printed mean ± SD (normal approximation)") -> go.Figure:
    """One panel per variable summarised by mean ± SD: the normal density with the cut-off and the
    implied share beyond it."""
    from plotly.subplots import make_subplots
    from scipy.stats import norm

    if table.empty:
        return empty(title)
    t = table[table["statistic"] == "mean_sd"].drop_duplicates(["variable", "cut"])
    t = t.reset_index(drop=True)
    if t.empty:
        return empty(title)
    z = ((t["cut"].astype(float) - t["center"].astype(float)) / t["sd"].astype(float)).abs()
    t, note = notable_rows(t, [-z.fillna(0).to_numpy()], limit=12, what="cut-offs",
                           why="the farthest in a tail")
    cols = min(3, len(t))
    rows = math.ceil(len(t) / cols)
    shares = [100 * float(norm.sf((r["cut"] - float(r["center"])) / float(r["sd"])))
              for _, r in t.iterrows()]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[
        f"{r['summary']}: {s:.0f}% ≥ {r['cut']:g}" for (_, r), s in zip(t.iterrows(), shares)])
    for i, r in t.iterrows():
        m, s = float(r["center"]), float(r["sd"])
        x = np.linspace(m - 4 * s, m + 4 * s, 120)
        y = norm.pdf(x, m, s)
        above = x >= r["cut"]
        rr, cc = divmod(i, cols)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=OKABE_ITO["blue"]),
                                 name="normal density from mean ± SD", showlegend=i == 0),
                      row=rr + 1, col=cc + 1)
        fig.add_trace(go.Scatter(x=x[above], y=y[above], fill="tozeroy", mode="none",
                                 fillcolor="rgba(230,159,0,0.45)", name="share beyond the cut-off",
                                 showlegend=i == 0,
                                 hovertemplate=f">= cut: {shares[i]:.1f}%<extra></extra>"),
                      row=rr + 1, col=cc + 1)
        fig.add_vline(x=r["cut"], line_dash="dash", row=rr + 1, col=cc + 1)
    fig.update_yaxes(showticklabels=False)
    return layout(fig, title, _with_note("look for cut-offs far in a tail: few patients would lie "
                                         "beyond them, compare with the printed count of that "
                                         "level", note), height=280 * rows + 100)


def limits_plot(ledger: Ledger, title: str = "Summaries against the inclusion limits") -> go.Figure:
    """Each summary of a variable with inclusion limits: limits (grey band), centre and mean ± SD
    or range."""
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
    outside = ((df["lo"] < df["limit_low"]) | (df["hi"] > df["limit_high"])).to_numpy()
    df, note = notable_rows(df, [~outside], what="summaries", why="those reaching outside first")
    span = float(df["hi"].max() - df["lo"].min()) or 1.0
    fig = go.Figure()
    for i, r in df.iterrows():
        lo = r["limit_low"] if np.isfinite(r["limit_low"]) else min(r["lo"], r["centre"]) - span
        hi = r["limit_high"] if np.isfinite(r["limit_high"]) else max(r["hi"], r["centre"]) + span
        fig.add_trace(go.Scatter(x=[lo, hi], y=[r["label"]] * 2, mode="lines",
                                 line=dict(color=BAND, width=14), name="inclusion limits",
                                 showlegend=i == 0, hoverinfo="skip"))
    for what, g in df.groupby("what", sort=False):
        fig.add_trace(go.Scatter(x=g["centre"], y=g["label"], mode="markers",
                                 marker=dict(color=OKABE_ITO["blue"], size=9),
                                 error_x=dict(type="data", symmetric=False,
                                              array=g["hi"] - g["centre"],
                                              arrayminus=g["centre"] - g["lo"]), name=what))
    return layout(fig, title, _with_note("look for a summary reaching outside the grey band: "
                                         "patients the inclusion rules exclude", note), height=200 + 50 * len(df))


# ------------------------------------------------------------------------------------------
# design: accrual, cut-off and the follow-up the inclusion rules need
# ------------------------------------------------------------------------------------------

def timeline_plot(ledger: Ledger, title: str = "Accrual, data cut-off and the follow-up the "
                  "inclusion rules need") -> go.Figure:
    """Accrual window and cut-off on a calendar, with the latest start that still allows the
    required number of assessments at the shortest imaging interval."""
    from datetime import timedelta

    from ..checks.design import date_span, design_row, to_weeks

    acc = design_row(ledger, "accrual")
    cut = design_row(ledger, "data_cutoff")
    need = design_row(ledger, "min_tumour_assessments")
    every = design_row(ledger, "imaging_interval")
    if acc is None or cut is None:
        return empty(title)
    a0 = date_span(acc["value"])[0]
    a1 = date_span(acc["value_high"])[1] if str(acc["value_high"]).strip() else a0
    c1 = date_span(cut["value"])[1]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[a0, a1], y=["accrual"] * 2, mode="lines",
                             line=dict(width=14, color=OKABE_ITO["sky_blue"]), name="accrual window"))
    fig.add_trace(go.Scatter(x=[c1], y=["accrual"], mode="markers", name="data cut-off",
                             marker=dict(symbol="line-ns-open", size=26, color="black",
                                         line=dict(width=3))))
    if need is not None and every is not None:
        weeks = parse_printed(need["value"]).value * to_weeks(every["value"], every["unit"])
        latest = c1 - timedelta(days=7 * weeks)
        fig.add_vrect(x0=latest, x1=c1, fillcolor=OKABE_ITO["orange"], opacity=0.25, line_width=0)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=(
            f"too late for {need['value']} assessments"),
            marker=dict(symbol="square", size=12, color=OKABE_ITO["orange"], opacity=0.5)))
    return layout(fig, title, "look for accrual running into the shaded weeks: patients starting "
                  "there could not have the assessments the rules require", height=280,
                  xaxis_title="calendar date")
