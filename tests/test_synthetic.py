"""The synthetic cohort (helpers.cohort.synthetic): deterministic, valid, faithful to the printed counts,
calibrated to the printed medians."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from conftest import TINY_ROOT
from helpers.cohort import synthetic as sy
from helpers.cohort.ipd import load_ipd, registered_sources
from helpers.ledger.load import load_ledger
from helpers.core.printed import parse_printed
from helpers.core.text import slug
from helpers.ledger.followup import study_followup


@pytest.fixture(scope="module")
def ledger():
    return load_ledger("cao2024")


@pytest.fixture(scope="module")
def cohort(ledger):
    return sy.synthetic_cohort(ledger, seed=7)


def test_registered_and_deterministic(ledger, cohort):
    assert "synthetic" in registered_sources()
    again = load_ipd("synthetic", ledger=ledger, seed=7)
    pd.testing.assert_frame_equal(cohort, again)
    other = sy.synthetic_cohort(ledger, seed=8)
    assert not np.allclose(cohort["pfs_time"], other["pfs_time"])


def test_counts_exact_where_printed(ledger, cohort):
    c = ledger.counts
    table = c[(c["source"] == "table") & (c["role"] == "level") & (c["count"] != "")
              & c["quantity"].str.startswith("baseline.")]
    assert len(table)
    for _, r in table.iterrows():
        column = r["quantity"].split(".")[1]
        assert (cohort[column] == r["level"]).sum() == int(r["count"]), r["row_id"]
    resp = c[(c["source"] == "table") & c["quantity"].str.startswith("response.") & (c["role"] == "level")]
    for _, r in resp.iterrows():
        assert (cohort["best_response"] == r["level"]).sum() == int(r["count"])


def test_linked_levels_follow_their_table_column(ledger, cohort):
    """A Table 3 variable linked to Table 1 counts (level_quantity) is the same patients."""
    spec = ledger.covariates["covariates"]
    hr = ledger.hazard_ratios
    linked = hr[(hr["role"] == "estimate") & (hr["level_quantity"] != "")]
    for _, r in linked.iterrows():
        col = spec[r["variable"]]["column"]
        table_col = r["level_quantity"].split(".")[1]
        if col == table_col:
            continue
        level_rows = ledger.counts[(ledger.counts["quantity"] == r["level_quantity"])
                                   & (ledger.counts["source"] == "table")]
        table_level = level_rows.iloc[0]["level"]
        assert ((cohort[col] == r["level"]) == (cohort[table_col] == table_level)).all()


def test_continuous_within_limits_and_near_printed(ledger, cohort):
    s = ledger.summaries
    for _, r in s[(s["statistic"] == "mean_sd") & (s["source"] == "table")].iterrows():
        col = r["quantity"].split(".", 1)[1]
        x = cohort[col]
        assert x.min() >= 0
        assert abs(x.mean() - parse_printed(r["center"]).value) < 0.25 * parse_printed(r["sd"]).value
        assert 0.7 < x.std() / parse_printed(r["sd"]).value < 1.3
    d = ledger.design
    age = d[(d["kind"] == "inclusion") & (d["parameter"] == "age")].iloc[0]
    assert cohort["age"].between(float(age["value"]), float(age["value_high"])).all()
    for _, r in s[(s["statistic"] == "median_range") & (s["source"] == "table")].iterrows():
        x = cohort[r["quantity"].split(".", 1)[1]]
        assert x.between(parse_printed(r["low"]).value, parse_printed(r["high"]).value).all()


def test_survival_is_coherent(ledger, cohort):
    assert (cohort["os_time"] >= cohort["pfs_time"]).all()
    fu = study_followup(ledger)
    assert cohort["os_time"].max() <= fu.max_fu + 1e-9
    # a patient who died had progressed (PFS counts death), never the reverse order
    assert (cohort.loc[cohort["os_event"] == 1, "pfs_event"] == 1).all()


def test_adverse_events_match_the_printed_table(ledger, cohort):
    ae = ledger.adverse_events
    ev = ae[(ae["role"] == "event") & (ae["source"] == "table")]
    for _, r in ev.iterrows():
        g = cohort["ae_" + slug(r["event"])]
        k = int(r["count"])
        got = (g >= 3).sum() if r["grade_band"] == ">=3" else ((g > 0) & (g < 3)).sum()
        assert got == k, r["row_id"]
    grades = cohort[[c for c in cohort.columns if c.startswith("ae_")]]
    any_ge3 = (grades >= 3).any(axis=1).sum()
    tot = ae[(ae["role"] == "total") & (ae["grade_band"] == ">=3")]
    assert any_ge3 == int(tot.iloc[0]["count"])
    tot_any = ae[(ae["role"] == "total") & (ae["grade_band"] == "any")]
    assert (grades > 0).any(axis=1).sum() == int(tot_any.iloc[0]["count"])


def test_truth_is_the_printed_hazard_ratios(ledger):
    model = sy.build_model(ledger, seed=1)
    truth = model.truth()
    hr = ledger.hazard_ratios.set_index("row_id")
    assert len(truth) == len(ledger.covariates["covariates"])
    for _, t in truth.iterrows():
        assert t["hr"] == pytest.approx(parse_printed(hr.loc[t["row_id"], "hr"]).value)
        multi = hr[(hr["variable"] == t["variable"]) & (hr["model"] == "multivariable")
                   & (hr["role"] == "estimate")]
        assert t["from_model"] == ("multivariable" if len(multi) else "univariable")


def test_marginal_medians_are_calibrated(ledger):
    model = sy.build_model(ledger, seed=3)
    sim = model.simulate(30, seed=3)
    for ep in ("PFS", "OS"):
        printed = ledger.survival[(ledger.survival["endpoint"] == ep)
                                  & (ledger.survival["statistic"] == "median")]
        target = parse_printed(printed.iloc[0]["center"]).value
        t, e = sim[f"{ep.lower()}_time"].ravel(), sim[f"{ep.lower()}_event"].ravel()
        med = KaplanMeierFitter().fit(t, e).median_survival_time_
        assert abs(med / target - 1) < 0.04, (ep, med, target)


def test_tiny_ledger_without_covariates_or_os():
    led = load_ledger("tiny", root=TINY_ROOT)
    model = sy.build_model(led, seed=0)
    assert model.effects == []
    assert any("OS" in n for n in model.notes)
    df = sy.synthetic_cohort(led, seed=0)
    assert len(df) == led.n and "pfs_time" in df and "os_time" not in df
    assert model.first == "PFS" and math.isfinite(model.lam)
