"""A very large ledger gives readable, bounded notebook outputs: findings tables and figures show
the most notable rows and say how many of how many; the findings files keep every row."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers.report import figures as plots
from helpers.report.pages import ranked_html
from helpers.report.tables import MAX_ROWS, findings_table


def _findings(n: int) -> pd.DataFrame:
    verdicts = ["consistent"] * n
    verdicts[-1] = "impossible"                      # the one that matters is last in the input
    return pd.DataFrame({"item": [f"Item {i}" for i in range(n)], "verdict": verdicts,
                         "severity": ["none"] * (n - 1) + ["critical"],
                         "strength": ["conclusive"] * n, "printed": ["1 (1.0%)"] * n,
                         "expected": [""] * n, "explanation": ["x"] * n,
                         "locators": ["Table 1"] * n, "check": ["percent_count"] * n})


def test_a_long_findings_table_shows_the_first_rows_and_says_how_many():
    df = _findings(MAX_ROWS + 250)
    t = findings_table(df)
    assert len(t) == MAX_ROWS + 250                  # the frame keeps every row
    assert len(t.shown) == MAX_ROWS
    html = t.to_html()
    assert html.count("<tr data-verdict") == MAX_ROWS
    assert f"first {MAX_ROWS:,} of {MAX_ROWS + 250:,} findings" in html
    assert f"of {MAX_ROWS + 250:,} findings" in repr(t)


def test_a_short_findings_table_shows_every_row_without_a_note():
    t = findings_table(_findings(20))
    assert len(t.shown) == 20 and "Showing" not in t.to_html()
    assert findings_table(_findings(MAX_ROWS + 5), max_rows=None).to_html().count(
        "<tr data-verdict") == MAX_ROWS + 5


def test_the_ranked_table_is_cut_at_its_limit_with_a_note():
    df = _findings(30).assign(rank=range(1, 31), area="baseline", locators="T1",
                              notebook="01_baseline", section="S", evidence="01_baseline.html#s")
    html = ranked_html(df, max_rows=10)
    assert html.count("<tr data-severity") == 10
    assert "Showing the 10 highest-ranked of 30 findings" in html
    assert "Showing" not in ranked_html(df)


def test_notable_rows_keeps_the_most_notable_in_their_original_order():
    t = pd.DataFrame({"v": ["consistent", "impossible", "consistent", "inconsistent"],
                      "d": [0.1, 0.2, 9.0, 0.3]})
    kept, note = plots.notable_rows(t, [plots.verdict_rank(t["v"]), -t["d"]], limit=2,
                                    what="rows")
    assert list(kept["v"]) == ["impossible", "inconsistent"]      # flagged beat a large departure
    assert note.startswith("drawing the 2 most notable of 4 rows")
    same, none = plots.notable_rows(t, [t["d"]], limit=4)
    assert none == "" and same is t


@pytest.mark.parametrize("n", [40, 4000])
def test_a_per_item_figure_draws_at_most_max_items_rows(n):
    rng = np.random.default_rng(1)
    dev = rng.normal(0, 0.3, n)
    dev[n // 2] = 7.5                                 # one percentage far outside any rounding
    table = pd.DataFrame({"item": [f"Marker {i}: A" for i in range(n)],
                          "locator": ["Table S1"] * n, "quantity": [f"q{i}" for i in range(n)],
                          "printed": ["10.0"] * n, "count": [10] * n, "n": [100] * n,
                          "count_from": ["printed count"] * n, "exact": [10.0] * n,
                          "deviation_units": dev,
                          "verdict": ["consistent"] * n})
    fig = plots.percent_deviation(table)
    drawn = sum(len(tr.y) for tr in fig.data)
    assert drawn == min(n, plots.MAX_ITEMS)
    labels = [y for tr in fig.data for y in tr.y]
    assert any(lbl.startswith(f"Marker {n // 2}: A") for lbl in labels)   # the outlier is kept
    title = fig.layout.title.text
    assert (f"of {n:,} printed percentages" in title) == (n > plots.MAX_ITEMS)
    assert len(json.dumps(plots.figure_bundle(fig))) < 200_000
