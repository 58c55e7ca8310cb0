"""Any paper, end to end: every notebook runs on ledgers that print only one kind of number.

The corpus in ``tests/fixtures/ledgers/minimal/`` (made-up numbers) holds a ledger with counts only,
survival medians only, hazard ratios only, adverse events only, an abstract-sized ledger with a
handful of rows of every kind, and ``gross_error``, whose Table 1 prints 30 of 100 as 80%. Each is
run through all six notebooks with the batch runner. A run must be published complete, every
registered check must have run or be "not applicable" (never failed), a check whose tables the
ledger lacks must be "not applicable", and the gross error must be flagged.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.checks import registry
from helpers.ledger.load import load_ledger
from helpers.run.runner import RUN_MARKER, discover_notebooks, read_marker, run_notebooks

pytestmark = pytest.mark.slow

MINIMAL = Path(__file__).parent / "fixtures" / "ledgers" / "minimal"
STUDIES = ["counts_only", "survival_only", "hazard_only", "ae_only", "abstract", "gross_error"]
ANALYSIS = ["01_baseline", "02_efficacy", "03_cox_prognosis", "04_toxicity", "05_plausibility"]
NOT_TABLES = ("patients", "meta", "knowledge")   # preconditions, not ledger tables
# A few checks named outright (besides the general rule below), so that a registry change that
# silently drops them is noticed: (notebook, check) that must be "not applicable" ...
NOT_APPLICABLE = {
    "counts_only": [("03_cox_prognosis", "p_from_ci"), ("02_efficacy", "median_in_ci"),
                    ("04_toxicity", "total_bounds")],
    "survival_only": [("01_baseline", "percent_count"), ("03_cox_prognosis", "ci_symmetry"),
                      ("04_toxicity", "nested_bands")],
    "hazard_only": [("02_efficacy", "median_followup"), ("01_baseline", "level_sum")],
    "ae_only": [("03_cox_prognosis", "ci_width_bound"), ("02_efficacy", "median_ci_events"),
                ("01_baseline", "percent_count")],
    "gross_error": [("03_cox_prognosis", "p_from_ci"), ("04_toxicity", "total_bounds")],
}
# ... and that must have run
RAN = {
    "counts_only": [("01_baseline", "percent_count"), ("02_efficacy", "derived_rate")],
    "survival_only": [("02_efficacy", "median_in_ci")],
    "hazard_only": [("03_cox_prognosis", "p_from_ci"), ("03_cox_prognosis", "ci_symmetry")],
    "ae_only": [("04_toxicity", "percent_count"), ("04_toxicity", "total_bounds")],
    "abstract": [("01_baseline", "percent_count"), ("02_efficacy", "median_in_ci"),
                 ("03_cox_prognosis", "p_from_ci")],
    "gross_error": [("01_baseline", "percent_count")],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Every ledger of the corpus run once through every notebook: {study: (RunResult, seconds)}."""
    out = tmp_path_factory.mktemp("minimal_corpus") / "outputs"
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REANALYSIS_LEDGER_ROOT", str(MINIMAL))
        for study in STUDIES:
            t0 = time.perf_counter()
            result = run_notebooks(study, "minimal", {"n_sim": 20}, output_root=out, jobs=2,
                                   log=lambda _line: None)
            runs[study] = (result, time.perf_counter() - t0)
    print("\n" + "; ".join(f"{s} {sec:.0f} s" for s, (_, sec) in runs.items()))
    return runs


def _checks(result) -> pd.DataFrame:
    return pd.read_csv(result.run_dir / "checks.csv", dtype=str, keep_default_na=False)


def _findings(result) -> pd.DataFrame:
    return pd.read_csv(result.run_dir / "findings.csv", dtype=str, keep_default_na=False)


def test_the_corpus_is_every_ledger_of_the_folder():
    found = sorted(p.name for p in MINIMAL.iterdir() if (p / "study.yaml").is_file())
    assert found == sorted(STUDIES)
    assert sorted(nb.stem for nb in discover_notebooks()) == sorted([*ANALYSIS, "05_report"])
    for study in STUDIES:
        load_ledger(study, root=MINIMAL)        # each is valid as it stands


@pytest.mark.parametrize("study", STUDIES)
def test_run_is_published_complete(corpus, study):
    result, _ = corpus[study]
    assert result.ok, result.message
    assert result.run_dir.name == "minimal" and result.run_dir.is_dir()
    assert not result.run_dir.with_name("minimal.failed").exists()
    assert read_marker(result.run_dir)["status"] == "complete", (result.run_dir / RUN_MARKER)
    assert [r.notebook for r in result.results if not r.ok] == []
    for name in ("findings.csv", "checks.csv", "index.html"):
        assert (result.run_dir / name).is_file(), name
    for nb in [*ANALYSIS, "05_report"]:
        assert (result.run_dir / f"{nb}.ipynb").is_file(), nb


@pytest.mark.parametrize("study", STUDIES)
def test_no_check_failed_and_a_missing_table_means_not_applicable(corpus, study):
    result, _ = corpus[study]
    checks = _checks(result)
    assert result.failed_checks == []
    assert set(checks["status"]) <= {"ran", "not applicable"}, \
        checks[checks["status"] == "failed"].to_dict("records")
    assert set(ANALYSIS) <= set(checks["notebook"])     # every analysis notebook ran its checks
    ledger = load_ledger(study, root=MINIMAL)
    by_name = {(c.family, c.name): c for c in registry.checks()}
    judged = 0
    for rec in checks.to_dict("records"):
        check = by_name[(rec["family"], rec["check"])]
        tables = [t for t in check.reads if t not in NOT_TABLES]
        if tables and not any(len(ledger.tables[t]) for t in tables):
            judged += 1
            assert rec["status"] == "not applicable", rec
            if "patients" not in check.reads:   # a patient check first names the patient data
                assert rec["reason"].startswith("the paper prints no"), rec
    assert judged > 0       # every ledger lacks some table (abstract: the text evidence)
    status = {(r["notebook"], r["check"]): r["status"] for r in checks.to_dict("records")}
    for key in NOT_APPLICABLE.get(study, []):
        assert status.get(key) == "not applicable", (key, status.get(key))
    for key in RAN.get(study, []):
        assert status.get(key) == "ran", (key, status.get(key))


@pytest.mark.parametrize("study", [s for s in STUDIES if s != "gross_error"])
def test_made_up_consistent_ledgers_raise_no_flag(corpus, study):
    findings = _findings(corpus[study][0])
    assert len(findings) > 0
    flagged = findings[findings["verdict"].isin(["impossible", "inconsistent"])]
    assert flagged.empty, flagged[["check", "item", "verdict", "explanation"]].to_dict("records")


def test_gross_error_is_flagged_not_a_crash(corpus):
    findings = _findings(corpus["gross_error"][0])
    row = findings[(findings["check"] == "percent_count") & (findings["item"] == "Sex: Male")]
    assert len(row) == 1, findings[["check", "item", "verdict"]].to_dict("records")
    assert row["verdict"].iloc[0] in ("impossible", "inconsistent")
    assert row["severity"].iloc[0] != "none"
    assert "80.0" in row["printed"].iloc[0]
    assert row["notebook"].iloc[0] == "01_baseline"
    female = findings[(findings["check"] == "percent_count") & (findings["item"] == "Sex: Female")]
    assert female["verdict"].tolist() == ["consistent"]   # the flag is about that row only
    assert "Sex: Male" in (corpus["gross_error"][0].run_dir / "index.html").read_text("utf-8")


def _printed_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


@pytest.mark.parametrize("study", ["counts_only", "hazard_only", "ae_only", "gross_error"])
def test_monte_carlo_without_a_median_says_not_applicable(corpus, study):
    text = _printed_text(corpus[study][0].run_dir / "03_cox_prognosis.ipynb")
    assert "not applicable: the paper prints no survival median" in text


@pytest.mark.parametrize("study", ["counts_only", "survival_only", "ae_only", "gross_error"])
def test_variance_bound_demo_without_hazard_ratios_says_not_applicable(corpus, study):
    text = _printed_text(corpus[study][0].run_dir / "03_cox_prognosis.ipynb")
    assert "not applicable: the paper prints no hazard ratio" in text
