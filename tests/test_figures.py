"""Figures once, readable: one plotly figure per result, drawn from the checks' outputs.

Made-up ledgers only (no number of any paper). Each figure is checked for what a reader needs:
a title with a second line saying what to look for, a legend outside the axes, verdict colours
from the Okabe-Ito palette, and colours taken from the findings rather than re-derived.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from helpers.checks import registry
from helpers.checks.arithmetic import denominator_table, level_sum_table
from helpers.checks.policy import rule_table
from helpers.core.findings import findings_frame
from helpers.ledger.load import ledger_from_tables, load_ledger
from helpers.report import figures as plots
from helpers.report import forest
from helpers.report.tables import findings_table, format_number

from conftest import TINY_ROOT

AE = [{"event": "Nausea", "grade_band": "<3", "role": "event", "count": "5", "percent": "",
       "denominator": "20", "quantity": "ae.nausea.lt3", "locator": "Table 4 / Nausea: <3"},
      {"event": "Nausea", "grade_band": ">=3", "role": "event", "count": "2", "percent": "",
       "denominator": "20", "quantity": "ae.nausea.ge3", "locator": "Table 4 / Nausea: >=3"},
      {"event": "Rash", "grade_band": ">=3", "role": "event", "count": "1", "percent": "",
       "denominator": "20", "quantity": "ae.rash.ge3", "locator": "Table 4 / Rash: >=3"}]


def _total(band, count, qty):
    return {"event": "ANY", "grade_band": band, "role": "total", "count": str(count), "percent": "",
            "denominator": "20", "quantity": qty, "locator": f"Results ¶4 / {band}"}


def _findings(ledger, *names):
    ctx = registry.Context(ledger)
    return findings_frame(registry.findings_of([registry.run_check(n, ctx) for n in names]))


@pytest.fixture(scope="module")
def counts_ledger():
    rows = [{"variable": "Sex", "level": "Male", "role": "level", "count": "7", "percent": "70.1",
             "denominator": "10", "population": "all", "quantity": "baseline.sex.male"},
            {"variable": "Sex", "level": "Female", "role": "level", "count": "3", "percent": "30.0",
             "denominator": "10", "population": "all", "quantity": "baseline.sex.female"},
            {"variable": "Stage", "level": "III", "role": "level", "count": "4", "percent": "40.0",
             "denominator": "10", "population": "all", "quantity": "baseline.stage.iii"},
            {"variable": "Stage", "level": "IV", "role": "level", "count": "5", "percent": "50.0",
             "denominator": "10", "population": "all", "quantity": "baseline.stage.iv"}]
    return ledger_from_tables("figs", {"n": 10}, {"counts": rows})


def _assert_readable(fig: go.Figure) -> None:
    assert isinstance(fig, go.Figure)
    title = fig.layout.title.text or ""
    assert "<br><sup>look for " in title or "<br><sup>nothing to look for" in title, title
    legend = fig.layout.legend
    assert legend.x is not None and legend.x >= 1 and legend.xanchor == "left", legend
    json.loads(fig.to_json())  # serialisable as the notebook output the export draws


def test_verdict_colours_are_okabe_ito_and_not_red_against_green():
    okabe = {v.upper() for v in plots.OKABE_ITO.values()}
    for verdict in ("consistent", "inconsistent", "implausible", "impossible", "not testable"):
        assert plots.VERDICT_COLOURS[verdict].upper() in okabe
    # the two ends of the scale: blue against vermillion, never green against red
    assert plots.VERDICT_COLOURS["consistent"].upper() == "#0072B2"
    assert plots.VERDICT_COLOURS["impossible"].upper() == "#D55E00"
    # every verdict also has its own marker shape
    shapes = [plots.VERDICT_SYMBOLS[v] for v in ("consistent", "inconsistent", "implausible",
                                                  "impossible")]
    assert len(set(shapes)) == 4


def test_total_bounds_plot_draws_the_checks_findings_not_its_own_verdict():
    ledger = ledger_from_tables("figs", {"n": 20}, {"adverse_events": [
        *AE, _total(">=3", 1, "ae.any.ge3"), _total("<3", 5, "ae.any.lt3")]})
    found = _findings(ledger, "total_bounds")
    assert set(found["verdict"]) == {"impossible", "consistent"}
    fig = plots.total_bounds_plot(found)
    _assert_readable(fig)
    printed = {t.name: list(t.x) for t in fig.data if t.name and t.name.startswith("printed")}
    assert printed == {"printed: impossible": [1], "printed: consistent": [5]}
    colour = {t.name: t.marker.color for t in fig.data if t.name and t.name.startswith("printed")}
    assert colour["printed: impossible"] == plots.VERDICT_COLOURS["impossible"]
    # a finding with another verdict is drawn with that verdict: the figure decides nothing
    edited = found.assign(verdict=["consistent"] * len(found))
    names = {t.name for t in plots.total_bounds_plot(edited).data if t.name}
    assert "printed: impossible" not in names and "printed: consistent" in names
    # old call with a ledger runs the registered check (same picture)
    assert [t.name for t in plots.total_bounds_plot(ledger).data] == [t.name for t in fig.data]


def test_percent_deviation_colours_come_from_the_findings(counts_ledger):
    found = _findings(counts_ledger, "percent_count")
    flagged = set(found[found["verdict"] != "consistent"]["quantity"])
    assert flagged == {"baseline.sex.male"}
    table = plots.deviation_table(counts_ledger, None, found)
    assert dict(zip(table["quantity"], table["verdict"]))["baseline.sex.male"] != "consistent"
    fig = plots.percent_deviation(table)
    _assert_readable(fig)
    assert {t.name for t in fig.data} == set(table["verdict"])
    # without findings nothing is called consistent
    assert set(plots.deviation_table(counts_ledger)["verdict"]) == {"no finding"}


def test_every_arithmetic_figure_builds_once_and_readably(counts_ledger):
    figs = [plots.rule_heatmap(rule_table(counts_ledger)),
            plots.level_sums(level_sum_table(counts_ledger)),
            plots.appearances_plot(pd.DataFrame(), None),
            plots.denominator_plot(denominator_table(counts_ledger), counts_ledger.n)]
    for fig in figs:
        _assert_readable(fig)
    # level sums: Stage 4 + 5 = 9 of 10 is annotated, Sex 7 + 3 = 10 is not
    notes = [a.text for a in figs[1].layout.annotations]
    assert any("sum 9 vs 10" in n for n in notes) and not any("sum 10" in n for n in notes)


def test_ae_bands_and_the_tiny_ledgers_figures():
    tiny = load_ledger("toy_arith", root=TINY_ROOT)
    for fig in (plots.ae_bands(tiny), plots.limits_plot(tiny), plots.timeline_plot(tiny),
                plots.total_bounds_plot(_findings(tiny, "total_bounds"))):
        _assert_readable(fig)


def test_show_emits_only_the_plotly_json_without_plotlys_renderers(monkeypatch):
    import subprocess
    import sys

    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    plots.show(plots.empty("x"))
    plots.show(None)   # a section without a figure shows nothing
    assert [set(b) for b, _ in shown] == [{plots.PLOTLY_MIME}] and all(raw for _, raw in shown)
    payload = shown[0][0][plots.PLOTLY_MIME]
    assert payload["layout"]["title"]["text"].startswith("x") and "config" in payload
    json.dumps(payload)
    # in a fresh process, showing a figure does not import nbformat (seconds per kernel)
    code = ("import sys, IPython.display as d; d.display = lambda *a, **k: None; "
            "from helpers.report import figures as p; p.show(p.empty('z')); "
            "print('nbformat' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


def test_forest_figures_are_single_plotly_figures():
    t = pd.DataFrame({"label": ["A", "B", "C"], "hr": [0.5, 1.2, 2.0], "ci_low": [0.3, 0.9, 1.5],
                      "ci_high": [0.8, 1.6, 2.7], "narrowest_low": [0.4, 1.0, 1.7],
                      "narrowest_high": [0.6, 1.4, 2.3]})
    fig = forest.forest(t)
    _assert_readable(fig)
    # rows top to bottom in the table's order, one printed marker each
    assert list(fig.layout.yaxis.ticktext) == ["A", "B", "C"]
    assert list(fig.layout.yaxis.tickvals) == [2.0, 1.0, 0.0]
    assert len(fig.data[-1].x) == 3
    iv = forest.intervals(t.assign(verdict=["consistent", "impossible", "consistent"]), label="label",
                          printed_low="ci_low", printed_high="ci_high", allowed_low="narrowest_low",
                          allowed_high="narrowest_high", title="Intervals")
    _assert_readable(iv)
    colours = {tr.line.color for tr in iv.data if tr.name and tr.name.startswith("allowed")}
    assert colours == {plots.VERDICT_COLOURS["consistent"], plots.VERDICT_COLOURS["impossible"]}
    sim = pd.DataFrame({"item": ["A"] * 50 + ["B"] * 50, "v": list(range(1, 101))})
    mc = forest.mc_distribution(sim, pd.DataFrame({"item": ["A", "B"], "value": [3.0, 400.0]}),
                                value="v", title="MC")
    _assert_readable(mc)
    curves = pd.DataFrame({"endpoint": ["OS"] * 3, "time": [0, 5, 10], "survival": [1, 0.6, 0.3],
                           "lower": [1, 0.5, 0.2], "upper": [1, 0.7, 0.4]})
    _assert_readable(forest.km(curves, pd.DataFrame({"endpoint": ["OS"], "median": [7.0],
                                                    "ci_low": [6.0], "ci_high": [8.0]})))


def test_findings_table_shows_the_reviewers_columns_wrapped_and_searchable():
    rows = [{"check": "percent_count", "family": "arithmetic", "item": f"Item {i}",
             "verdict": "impossible" if i == 0 else "consistent", "severity": "critical" if i == 0
             else "none", "strength": "conclusive", "category": "arithmetic", "printed": "7 (70.1%)",
             "expected": "1.926583e+00", "explanation": "x" * 400, "locators": "Table 1; Abstract",
             "quantity": "q", "assumptions": ""} for i in range(20)]
    t = findings_table(pd.DataFrame(rows))
    assert list(t.frame.columns) == ["item", "verdict", "severity", "strength", "printed",
                                     "expected", "explanation", "locators", "check"]
    page = t._repr_html_()
    assert "x" * 400 in page and "…" not in page              # wrapped, never cut
    assert "1.927" in page and "1.926583e+00" not in page     # one number format
    assert "7 (70.1%)" in page                                # printed stays as printed
    assert 'type="search"' in page and "<script>" in page     # long: searchable offline
    assert "http" not in page
    short = findings_table(pd.DataFrame(rows[:3]))._repr_html_()
    assert 'type="search"' not in short
    assert "No findings" in findings_table(pd.DataFrame())._repr_html_()


@pytest.mark.parametrize("value, text", [(3, "3"), (2.0, "2"), (1.926583, "1.927"),
                                         (0.000012345, "1.234e-05"), (12345.678, "12346"),
                                         (float("nan"), "")])
def test_format_number(value, text):
    assert format_number(value) == text
