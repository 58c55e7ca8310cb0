"""What keeps notebook 03 (the hazard ratios) fast and its figures bounded on a large ledger: the
printed numbers are read once per distinct text (the caches give the uncached answers), scalar
normal tails skip scipy's argument checks without changing a bit, per-variable groupings match
pandas', and a figure with one line per row draws at most ``forest.MAX_DRAWN`` rows: the flagged
ones first, saying in its title how many of how many it draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from helpers.checks import hazard as hz
from helpers.report import forest


@pytest.mark.parametrize("text", ["1.50", "0.001", "<0.001", "2", "1.05", "12.345"])
@pytest.mark.parametrize("rule", ["half_up", "half_even", "truncate", "auto"])
def test_the_cached_rounding_box_is_the_uncached_one(text, rule):
    names = hz._rules(rule)
    assert hz.printed_box(text, rule) == hz._box.__wrapped__(text, names)
    lo, hi = hz._box.__wrapped__(text, names)
    assert hz.printed_box(text, rule, low=hz.TINY, high=1.0) == (max(lo, hz.TINY), min(hi, 1.0))


def test_the_cached_wald_range_is_the_uncached_one_and_a_copy():
    args = ("1.42", "1.21", "1.66", "95")
    first = hz.wald_p_range(*args, rule="half_up")
    assert first == hz._wald_p_range.__wrapped__(*args, ("half_up",))
    first["p_low"] = -1.0                       # a caller's change does not reach the cache
    assert hz.wald_p_range(*args, rule="half_up")["p_low"] >= 0


def test_the_scalar_normal_tail_is_scipys_bit_for_bit():
    xs = np.r_[np.linspace(0, 40, 4001), np.logspace(-12, 2, 500), np.inf]
    assert all(hz._sf(float(x)) == float(norm.sf(x)) for x in xs)


def test_grouping_records_is_pandas_groupby():
    df = pd.DataFrame({"endpoint": ["OS", "PFS", "OS", "OS", None],
                       "variable": ["A", "A", "B", "A", "A"], "x": [1, 2, 3, 4, 5]})
    ours = [(k, [r["x"] for r in g]) for k, g in hz._groups(df, ("endpoint", "variable"))]
    theirs = [(k, list(g["x"])) for k, g in df.groupby(["endpoint", "variable"], sort=False)]
    assert ours == theirs


def _rows(n: int, flagged: set[int]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    hr = np.exp(rng.normal(0, 0.3, n))
    return pd.DataFrame({
        "label": [f"row {i}" for i in range(n)], "hr": hr, "ci_low": hr / 1.3,
        "ci_high": hr * 1.3, "narrowest_low": hr / 1.2, "narrowest_high": hr * 1.2,
        "verdict": ["impossible" if i in flagged else "consistent" for i in range(n)]})


def _drawn_labels(fig) -> list[str]:
    return list(fig.layout.yaxis.ticktext)


def test_a_figure_of_many_rows_draws_the_flagged_ones_and_says_how_many():
    n = 3 * forest.MAX_DRAWN
    flagged = {7, n // 2, n - 1}
    t = _rows(n, flagged)
    iv = forest.intervals(t, label="label", printed_low="ci_low", printed_high="ci_high",
                          allowed_low="narrowest_low", allowed_high="narrowest_high", title="T")
    drawn = _drawn_labels(iv)
    assert len(drawn) == forest.MAX_DRAWN
    assert {f"row {i}" for i in flagged} <= set(drawn)
    assert drawn == sorted(drawn, key=lambda s: int(s.split()[1]))      # the table's order
    assert f"{forest.MAX_DRAWN} of {n} rows drawn" in iv.layout.title.text
    assert "<br><sup>look for " in iv.layout.title.text
    # one trace per verdict and one for the printed intervals, not two per row
    assert len(iv.data) == 3

    findings = pd.DataFrame({"item": [f"row {i}" for i in flagged], "verdict": "inconsistent"})
    fp = forest.forest(t.drop(columns="verdict"), title="F", findings=findings)
    assert {f"row {i}" for i in flagged} <= set(_drawn_labels(fp))
    assert len(_drawn_labels(fp)) == forest.MAX_DRAWN and len(fp.data) == 2
    assert f"{forest.MAX_DRAWN} of {n} rows drawn" in fp.layout.title.text
    # the figure's JSON stays small however long the table
    assert len(fp.to_json()) < 200_000 and len(iv.to_json()) < 200_000


def test_a_short_table_is_drawn_whole_without_a_note():
    t = _rows(5, {1})
    fig = forest.forest(t.drop(columns="verdict"), title="F")
    assert _drawn_labels(fig) == [f"row {i}" for i in range(5)]
    assert "drawn" not in fig.layout.title.text.split("<br>")[0]
    assert len(fig.data[-1].x) == 5


def test_the_variance_figure_keeps_the_points_below_the_diagonal():
    exp = pd.DataFrame({"bound_events": [0.1, 0.2], "var": [0.2, 0.3], "n1": [10, 20],
                        "n0": [10, 20], "d1": [5, 6], "d0": [5, 6], "engine": "coxbatch"})
    n = forest.MAX_POINTS + 50
    printed = pd.DataFrame({"label": [f"r{i}" for i in range(n)], "var_bound": 0.1,
                            "var_max": [0.01 if i == n - 1 else 0.5 for i in range(n)]})
    fig = forest.variance_bound(exp, printed)
    crosses = fig.data[-1]
    assert len(crosses.x) == forest.MAX_POINTS and f"r{n - 1}" in list(crosses.text)
    assert f"{forest.MAX_POINTS} of {n} printed CIs drawn" in fig.layout.title.text
