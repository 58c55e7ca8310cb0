"""Disclosure control: outputs computed from real patient data carry no individual's value.

The NCCTG lung cohort (bundled, real) goes through the patient-level tables, checks and figures;
every output is written as a reviewer's run would write it (CSV, JSON, an .ipynb holding plotly
JSON, an HTML page with the figure) and :func:`helpers.cohort.disclosure.disclosure_scan` must find
no patient id and no distinctive patient value in them -- and must find one planted on purpose.
"""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers.checks import patient_level, registry  # noqa: F401 -- registers the checks
from helpers.checks.registry import Context, Settings
from helpers.cohort import disclosure as dc
from helpers.cohort.datasets import load_ncctg_lung
from helpers.cohort.survival import km_summary
from helpers.cohort.tables import (comparison_table, cox_tables, km_curves, patient_baseline_table,
                                   response_rates)
from helpers.core.findings import findings_frame
from helpers.ledger.load import load_ledger
from helpers.report.patient_figures import comparison_figure, km_figure, rates_figure


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    df = load_ncctg_lung()
    df["id"] = [f"PT-{i:06d}-ZX" for i in range(1, len(df) + 1)]
    return df


@pytest.fixture(scope="module")
def ncctg():
    return load_ledger("ncctg_lung")


def _write_outputs(folder, lung, ncctg):
    """Every patient-level table and figure of the NCCTG data, written as a run writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(ncctg, Settings(), None, SimpleNamespace(data=lung, synthetic=False))
    runs = [registry.run_check(c, ctx, isolate=False) for c in registry.REGISTRY.values()
            if c.family == "patient_level"]
    findings = findings_frame(registry.findings_of(runs))
    tables = {"findings": findings, "km_summary": km_summary(lung),
              "baseline": patient_baseline_table(lung, ncctg), "cox": cox_tables(ncctg, lung),
              "comparison": comparison_table(ncctg, lung, rule_for=ctx.policy.rule_for),
              "km_curves": km_curves(lung, time_unit="days")}
    for name, t in tables.items():
        t.to_csv(folder / f"{name}.csv", index=False)
    (folder / "findings.json").write_text(findings.to_json(orient="records"), encoding="utf-8")
    lung_rates = lung.assign(best_response=np.where(lung["ph.ecog"] == 0, "PR", "SD"))
    figures = {"km": km_figure(tables["km_curves"], unit="days"),
               "comparison": comparison_figure(tables["comparison"]),
               "rates": rates_figure(response_rates(lung_rates))}
    nb = nbformat.v4.new_notebook()
    for name, fig in figures.items():
        fig.write_html(folder / f"{name}.html", include_plotlyjs=False)
        (folder / f"{name}.json").write_text(fig.to_json(), encoding="utf-8")
        cell = nbformat.v4.new_code_cell(f"show({name})")
        cell.outputs = [nbformat.v4.new_output(
            "display_data", data={"application/vnd.plotly.v1+json": json.loads(fig.to_json())})]
        nb.cells.append(cell)
    nbformat.write(nb, folder / "patients.ipynb")
    return tables, figures


def _allowed(lung, ncctg, tables) -> set[float]:
    km = tables["km_summary"]
    km_limits = {float(v) for v in km[["median", "ci_low", "ci_high"]].to_numpy().ravel()
                 if pd.notna(v)}
    return dc.published_values(ncctg) | dc.permitted_values(lung) | km_limits


def test_no_patient_value_in_any_output(tmp_path, lung, ncctg):
    tables, figures = _write_outputs(tmp_path / "run", lung, ncctg)
    assert any('"bdata"' in p.read_text() for p in (tmp_path / "run").glob("*.json")), \
        "plotly wrote no base64 arrays: the bdata path of the scan is not exercised"
    hits = dc.disclosure_scan(tmp_path / "run", lung, allow=_allowed(lung, ncctg, tables))
    assert hits.empty, hits.to_string()


def test_the_scan_finds_planted_values(tmp_path, lung, ncctg):
    """The scan can fail: an exact patient time in a CSV, an id in a notebook, and the uncoarsened
    Kaplan-Meier curve (plotly bdata arrays of event times) are all found."""
    tables, _ = _write_outputs(tmp_path / "run", lung, ncctg)
    allow = _allowed(lung, ncctg, tables)
    big = lung.loc[~lung["os_time"].isin(allow), "os_time"].max()
    assert dc.distinctive(big)
    pd.DataFrame({"x": [big]}).to_csv(tmp_path / "run" / "planted.csv", index=False)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"patient {lung['id'].iloc[3]}"))
    nbformat.write(nb, tmp_path / "run" / "planted.ipynb")
    from helpers.cohort.survival import km_fit
    raw = km_fit(lung["os_time"], lung["os_event"]).curve.assign(endpoint="OS")
    km_figure(raw).write_html(tmp_path / "run" / "raw_km.html", include_plotlyjs=False)
    hits = dc.disclosure_scan(tmp_path / "run", lung, allow=allow)
    assert set(hits["file"]) == {"planted.csv", "planted.ipynb", "raw_km.html"}, hits
    assert float(hits.loc[hits["file"] == "planted.csv", "value"].iloc[0]) == big
    assert (hits.loc[hits["file"] == "planted.ipynb", "kind"] == "id").all()
    assert set(hits.loc[hits["file"] == "raw_km.html", "where"]) == {"bdata"}


def test_bdata_is_decoded_by_its_dtype(tmp_path):
    patients = pd.DataFrame({"id": ["a1x", "b2x"], "lab": [123.25, 7.0]})
    arr = np.array([1.5, 123.25], dtype="<f8")
    doc = {"data": [{"x": {"dtype": "f8", "bdata": base64.b64encode(arr.tobytes()).decode()}},
                    {"y": {"bdata": base64.b64encode(np.array([7], "<i1").tobytes()).decode(),
                           "dtype": "i1"}}]}
    (tmp_path / "fig.json").write_text(json.dumps(doc))
    hits = dc.disclosure_scan(tmp_path, patients)
    assert list(hits["value"]) == ["123.25"] and list(hits["where"]) == ["bdata"]   # 7 ignored


def test_distinctive_values_and_small_ids():
    assert dc.distinctive(306) and dc.distinctive(12.5) and dc.distinctive(1025)
    assert not dc.distinctive(5) and not dc.distinctive(60) and not dc.distinctive(100)
    assert not dc.distinctive(310)          # 2 significant digits: too common to be evidence
    assert dc.significant_digits(0.25) == 2


def test_rules(lung):
    assert dc.show_count(9) == "<10" and dc.show_count(10) == "10" and dc.show_count(3, 0) == "3"
    assert dc.default_grid("days") == pytest.approx(365.25 / 12) and dc.default_grid("months") == 1
    assert list(dc.coarsen([0, 0.2, 1.0, 1.01], 1.0)) == [0, 1, 1, 2]
    s = dc.safe_summary(lung["age"])
    assert "min" not in s and "max" not in s and s["n"] == str(len(lung))
    few = dc.safe_summary(lung["age"].iloc[:9])
    assert few["n"] == "<10" and np.isnan(few["median"])


def test_a_one_patient_file_is_suppressed_everywhere(lung, ncctg):
    one = lung.iloc[[11]].reset_index(drop=True)
    assert km_summary(one)["median"].isna().all() and km_summary(one)["n"].isna().all()
    assert km_curves(one, time_unit="days").empty
    assert response_rates(one.assign(best_response="PR"))["suppressed"].all()
    baseline = patient_baseline_table(one, ncctg)
    cells = " ".join(baseline["ipd"])
    assert str(int(one["age"].iloc[0])) not in cells and "<10" in cells
