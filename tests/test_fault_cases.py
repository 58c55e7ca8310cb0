"""The cases of issue 14 ("Never lose a run, never leak a patient, never blame the paper for an entry
error") that no other test file kept as a test. docs/fault_cases.md lists every case of the issue
with the test that keeps it (most are in test_runner_faults.py, test_validation_faults.py,
test_disclosure.py and tests/ipd/).

Every number here is made up: the tiny fixture ledger (tests/fixtures/ledgers/tiny) and patients
invented below.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import LedgerError
from helpers.ledger.load import load_ledger, validate_ledger
from helpers.run import runner
from helpers.run.cli import main
from helpers.run.runner import RUN_MARKER

from conftest import REPO, TINY_ROOT, edit_cell
from test_runner_faults import SLOW, alive, cli, pid_files, tree, wait_for

DEMO = Path(__file__).parent / "fixtures" / "notebooks" / "rounding_only.ipynb"
ALL_ANALYSIS = ",".join(str(REPO / "notebooks" / f) for f in (
    "01_baseline.ipynb", "02_efficacy.ipynb", "03_cox_prognosis.ipynb", "04_toxicity.ipynb",
    "05_plausibility.ipynb", "05_report.ipynb"))


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def tiny_ledgers(tmp_path, monkeypatch):
    """A writable copy of the tiny ledger as the runner's ledger root: (study_dir, output_root)."""
    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "tiny", root / "tiny")
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(root))
    return root / "tiny", tmp_path / "outputs"


def only_problem(study_dir: Path):
    """The one problem of the ledger, refused identically by load_ledger and validate_ledger."""
    root = study_dir.parent
    with pytest.raises(LedgerError) as info:
        load_ledger(study_dir.name, root=root)
    report = validate_ledger(study_dir.name, root=root)
    assert [p.message for p in report] == [p.message for p in info.value.problems]
    assert len(report) == 1, report.messages
    return report[0]


# ---------------------------------------------------------------------------------------------
# run names: an unset $RUN without quotes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv_tail", [["--run", "--overwrite"], ["--overwrite", "--run"]],
                         ids=["run-then-overwrite", "run-last"])
def test_an_unset_run_variable_without_quotes_is_a_usage_error(argv_tail, tmp_path, monkeypatch,
                                                               capsys, no_kernel):
    """``reanalysis --run $RUN --overwrite`` with $RUN unset reaches the parser as
    ``--run --overwrite`` (or ``--run`` last): a usage error, exit 2, nothing deleted.
    (``--run "$RUN"``, the empty name, is test_runner_faults::test_unsafe_run_names...[].)"""
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(TINY_ROOT))
    out = tmp_path / "outputs"
    earlier = out / "tiny" / "earlier"
    earlier.mkdir(parents=True)
    (earlier / "findings.csv").write_text("kept\n")
    (earlier / RUN_MARKER).write_text(json.dumps({"tool": "reanalysis"}))
    before = tree(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["--study", "tiny", "--notebooks", str(DEMO), "--output-root", str(out), *argv_tail])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "argument --run: expected one argument" in err
    assert "Traceback" not in err
    assert tree(tmp_path) == before
    assert not no_kernel


# ---------------------------------------------------------------------------------------------
# Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_ctrl_c_to_the_whole_process_group_prints_no_traceback_and_leaves_a_failed_run(tmp_path):
    """A terminal's Ctrl-C sends SIGINT to every process of the foreground group (runner, workers
    and whatever of the kernels shares the group), not only to the runner: the issue saw 1-3
    ``KeyboardInterrupt`` tracebacks from the workers and a ``.partial`` without FAILED.txt."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for stem in ("slow_a", "slow_b"):
        shutil.copy(SLOW, nbs / f"{stem}.ipynb")
    root = tmp_path / "outputs"
    work = root / "tiny" / ".ctrlc.partial"
    proc = cli("--run", "ctrlc", "--jobs", "2", "--notebooks",
               f"{nbs / 'slow_a.ipynb'},{nbs / 'slow_b.ipynb'}", "-p", "seconds", "300",
               "-p", "spawn", "true", "--output-root", str(root), start_new_session=True)
    try:
        wait_for(lambda: pid_files(work, 2), 90, "both kernels and their children")
        everyone = runner.descendants({proc.pid})
        assert len(everyone) >= 6
        os.killpg(proc.pid, signal.SIGINT)       # the runner leads its own group (new session)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err + out and "KeyboardInterrupt" not in err + out, err
    assert "interrupted by SIGINT" in err
    failed = root / "tiny" / "ctrlc.failed"
    assert "interrupted" in (failed / "FAILED.txt").read_text()
    assert json.loads((failed / RUN_MARKER).read_text())["status"] == "interrupted"
    assert not work.exists() and not (root / "tiny" / "ctrlc").exists()
    t_end = time.monotonic() + 10
    while any(alive(p) for p in everyone) and time.monotonic() < t_end:
        time.sleep(0.1)
    assert [p for p in everyone if alive(p)] == []


# ---------------------------------------------------------------------------------------------
# patient data leaving the machine
# ---------------------------------------------------------------------------------------------

def _made_up_cohort(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """Patients with distinctive (two-decimal) OS and PFS times, PFS before OS."""
    rng = np.random.default_rng(seed)
    os_time = np.round(rng.uniform(3.0, 40.0, n), 2)
    pfs_time = np.round(os_time * rng.uniform(0.3, 0.9, n), 2)
    return pd.DataFrame({
        "id": [f"MU-{i:05d}-QQ" for i in range(n)],
        "os_time": os_time, "os_event": rng.integers(0, 2, n),
        "pfs_time": pfs_time, "pfs_event": rng.integers(0, 2, n),
        "age": np.round(rng.uniform(35.0, 80.0, n), 1)})


def _write_figure(folder: Path, name: str, fig) -> None:
    """A figure as a run writes it: an HTML page, plotly JSON, and a notebook display output."""
    fig.write_html(folder / f"{name}.html", include_plotlyjs=False)
    (folder / f"{name}.json").write_text(fig.to_json(), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plots.show(fig)")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"application/vnd.plotly.v1+json": json.loads(fig.to_json())})]
    nb.cells.append(cell)
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_km_figures_carry_no_exact_os_or_pfs_time_even_in_base64_arrays(tmp_path):
    """The issue found every patient's exact ``os_time`` and ``pfs_time`` in the Kaplan-Meier
    figures of the executed .ipynb and .html, as plotly base64 arrays. The NCCTG tests cover OS
    only (that cohort has no PFS); here a made-up cohort with both."""
    from helpers.cohort.disclosure import disclosure_scan
    from helpers.cohort.survival import km_fit
    from helpers.cohort.tables import km_curves
    from helpers.report.patient_figures import km_figure

    patients = _made_up_cohort()
    curves = km_curves(patients, time_unit="months")
    assert set(curves["endpoint"]) == {"PFS", "OS"}
    safe = tmp_path / "safe"
    safe.mkdir()
    _write_figure(safe, "km", km_figure(curves, unit="months"))
    assert '"bdata"' in (safe / "km.json").read_text(), "no base64 arrays: the bdata path is untested"
    hits = disclosure_scan(safe, patients, columns=["os_time", "pfs_time"])
    assert hits.empty, hits.to_string()
    # the scan can fail: the curve at the exact PFS times is found, in the base64 arrays
    raw = tmp_path / "raw"
    raw.mkdir()
    curve = km_fit(patients["pfs_time"], patients["pfs_event"]).curve.assign(endpoint="PFS")
    _write_figure(raw, "km", km_figure(curve, unit="months"))
    found = disclosure_scan(raw, patients, columns=["os_time", "pfs_time"])
    assert not found.empty and "bdata" in set(found["where"])
    assert "pfs_time" in " ".join(found["columns"])


def test_a_one_patient_file_puts_none_of_that_patients_values_in_the_findings(tmp_path):
    """The issue: with a one-patient file the findings quoted that patient's own age, ALT and AST.
    Every patient-level check runs on one made-up patient; neither the findings' text nor the
    files written from them holds a value or the id of that patient."""
    from helpers.checks import patient_level, registry  # noqa: F401 -- registers the checks
    from helpers.checks.registry import Context, Settings
    from helpers.cohort.disclosure import disclosure_scan
    from helpers.core.findings import findings_frame
    from helpers.ledger.load import ledger_from_tables

    tables = {
        "design": [{"kind": "cohort", "parameter": "n", "value": "90", "quantity": "cohort.n"}],
        "counts": [{"variable": "Sex", "level": "Male", "role": "level", "count": "50",
                    "percent": "55.6", "denominator": "90", "population": "all",
                    "quantity": "baseline.sex.male"}],
        "summaries": [
            {"variable": "Age", "statistic": "median_range", "center": "58", "low": "31",
             "high": "77", "n": "90", "population": "all", "quantity": "baseline.age",
             "unit": "years"},
            {"variable": "ALT", "statistic": "median_range", "center": "41.0", "low": "12.0",
             "high": "150.0", "n": "90", "population": "all", "quantity": "baseline.alt",
             "unit": "U/L"},
            {"variable": "AST", "statistic": "mean_sd", "center": "38.5", "sd": "9.1", "n": "90",
             "population": "all", "quantity": "baseline.ast", "unit": "U/L"}],
        "survival": [{"endpoint": "OS", "statistic": "median", "center": "14.2", "ci_low": "11.0",
                      "ci_high": "17.5", "ci_level": "95", "unit": "months", "n": "90",
                      "population": "all", "quantity": "survival.os.median"}]}
    ledger = ledger_from_tables("toy", {"n": 90, "time_unit": "months"}, tables)
    one = pd.DataFrame({"id": ["QX-7781-ZZ"], "os_time": [23.71], "os_event": [1], "age": [63.7],
                        "alt": [417.3], "ast": [288.9], "sex": ["Male"]})
    ctx = Context(ledger, Settings(), None, SimpleNamespace(data=one, synthetic=False))
    runs = [registry.run_check(c, ctx, isolate=False) for c in registry.REGISTRY.values()
            if c.family == "patient_level"]
    assert all(r.status in ("ran", "not applicable") for r in runs), [(r.check.name, r.status)
                                                                      for r in runs]
    findings = findings_frame(registry.findings_of(runs))
    items = set(findings["item"])
    assert {"Age (median_range)", "ALT (median_range)", "AST (mean_sd)"} <= items, items
    text = findings.to_csv(index=False)
    for value in ("63.7", "417.3", "288.9", "23.71", "QX-7781-ZZ"):
        assert value not in text, f"the patient's {value} is in the findings"
    assert "<10" in text                       # what the checks say instead
    folder = tmp_path / "run"
    folder.mkdir()
    findings.to_csv(folder / "findings.csv", index=False)
    (folder / "findings.json").write_text(findings.to_json(orient="records"), encoding="utf-8")
    hits = disclosure_scan(folder, one)
    assert hits.empty, hits.to_string()


# ---------------------------------------------------------------------------------------------
# entry slips: refused before any kernel, and not blamed on the paper
# ---------------------------------------------------------------------------------------------

def test_a_renamed_optional_column_stops_the_run_before_any_kernel_starts(tiny_ledgers, capsys,
                                                                          no_kernel):
    """The issue: ``pct`` for ``percent`` was treated as an absent column, notebook 01 wrote fewer
    findings and the run reported success. Now the run is refused (exit 2) before any kernel,
    naming the file, the column and the nearest known name; nothing is written."""
    d, out = tiny_ledgers
    path = d / "counts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].count(",percent,") == 1
    lines[0] = lines[0].replace(",percent,", ",pct,")
    path.write_text("".join(lines), encoding="utf-8")
    rc = main(["--study", "tiny", "--notebooks", ALL_ANALYSIS, "--output-root", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "counts.csv" in err and "field 'pct'" in err and "did you mean 'percent'?" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not no_kernel and not out.exists()


@pytest.mark.parametrize("value", ["-8.0", "-0.5"])
def test_a_negative_median_is_refused_with_file_line_row_and_field(tiny_copy, value):
    """The issue: a negative median was accepted ("about -1462 events expected", consistent)."""
    root, d = tiny_copy
    line = edit_cell(d / "survival.csv", "v1", "center", value)
    p = only_problem(d)
    assert p.file.endswith("survival.csv") and p.line == line and p.row_id == "v1"
    assert p.field == "center"
    assert f"line {line} (row_id v1), field 'center'" in p.message
    assert f"{value} is negative: a median or rate cannot be below 0" in p.message


@pytest.mark.parametrize("column", ["center", "ci_high"])
def test_a_survival_time_of_1e308_in_the_ledger_is_refused(tiny_copy, column):
    """The issue: a survival time of 1e308 was accepted and went wrong late. In the ledger it is
    refused where it stands (the patient file's 1e308 is test_validation_faults'
    test_patient_file_slips)."""
    root, d = tiny_copy
    line = edit_cell(d / "survival.csv", "v1", column, "1e308")
    p = only_problem(d)
    assert p.file.endswith("survival.csv") and (p.line, p.row_id, p.field) == (line, "v1", column)
    assert "'1e308'" in p.message


def test_a_negative_patient_time_is_reported_once_before_any_notebook(tiny_ledgers, tmp_path,
                                                                      capsys, no_kernel):
    """The issue: a negative time was reported four times, once per notebook, after 45 s of work.
    Now: once, by the runner, with every analysis notebook selected, before any kernel starts."""
    _, out = tiny_ledgers
    ipd = tmp_path / "patients.csv"
    ipd.write_text("id,os_time,os_event,age\nP1,10,1,61\nP2,-3,0,55\nP3,7,1,70\n",
                   encoding="utf-8")
    t0 = time.perf_counter()
    rc = main(["--study", "tiny", "--notebooks", ALL_ANALYSIS, "--output-root", str(out),
               "-p", "ipd", str(ipd)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("negative time") == 1, err
    assert err.count("patients.csv") == 1 and "line 3" in err and "field 'os_time'" in err, err
    assert "Traceback" not in err
    assert not no_kernel and not out.exists()
    assert time.perf_counter() - t0 < 20


def test_the_output_dir_parameter_points_to_an_option_that_exists(capsys, no_kernel, tmp_path,
                                                                  monkeypatch):
    """The issue: ``-p output_dir`` suggested a non-existent ``--output-dir``."""
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(TINY_ROOT))
    out = tmp_path / "outputs"
    rc = main(["--study", "tiny", "--notebooks", str(DEMO), "--output-root", str(out),
               "-p", "output_dir", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "--output-root" in err and "--output-dir" not in err, err
    from helpers.run.cli import build_parser
    assert "--output-root" in build_parser().format_help()
    assert not no_kernel and not out.exists()


# ---------------------------------------------------------------------------------------------
# an HR outside its own printed CI: data, reported as a finding, and notebook 03 draws it
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_an_hr_outside_its_own_ci_runs_through_notebook_03_and_is_a_finding(tiny_ledgers,
                                                                            capsys):
    """The issue: the loader accepts an HR outside its printed CI (as the schema intends), then
    notebook 03 crashed drawing it. Now notebook 03 runs to its end and the HR is an
    ``impossible`` ci_symmetry finding of the run."""
    d, out = tiny_ledgers
    edit_cell(d / "hazard_ratios.csv", "h2", "hr", "2.50")          # printed CI 0.90-1.60
    rc = main(["--study", "tiny", "--run", "hr-outside", "--notebooks", "03_cox_prognosis",
               "-p", "n_sim", "20", "--output-root", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    run = out / "tiny" / "hr-outside"
    assert not (out / "tiny" / "hr-outside.failed").exists()
    executed = json.loads((run / "03_cox_prognosis.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    findings = pd.read_csv(run / "findings.csv", dtype=str, keep_default_na=False)
    sym = findings[(findings["check"] == "ci_symmetry")
                   & (findings["quantity"] == "cox.univariable.sex.female")]
    assert list(sym["verdict"]) == ["impossible"], findings[["check", "item", "verdict"]]
    assert "outside its own CI (0.90-1.60)" in sym["explanation"].iloc[0]
