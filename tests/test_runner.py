"""The batch runner: refuses unknown parameters and existing runs, reports a failing notebook by
name and cell (the fault cases are in test_runner_faults.py), passes non-default parameters to papermill (here, in the shared run of test_report
and in test_grid), and writes byte-identical findings for the same parameters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers.core.findings import merge_run_findings
from helpers.run.params import declared_parameters
from helpers.run.cli import main
from helpers.run.runner import run_notebooks

from conftest import REPO, TINY_ROOT
from test_report import report_run  # noqa: F401  (the shared run fixture)

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
DEMO = FIXTURES / "rounding_only.ipynb"
FAILS = FIXTURES / "fails_on_purpose.ipynb"


@pytest.fixture
def tiny_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(TINY_ROOT))
    return tmp_path / "outputs"


def test_unknown_parameter_is_refused_with_its_name(tiny_env, capsys):
    rc = main(["--study", "tiny", "--notebooks", str(DEMO), "--output-root", str(tiny_env),
               "-p", "roundng", "half_up"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "unknown parameter 'roundng'" in err
    assert not (tiny_env / "tiny").exists() or not any((tiny_env / "tiny").iterdir())


def test_unknown_grid_parameter_is_refused_with_its_name(tiny_env, capsys):
    rc = main(["--study", "tiny", "--notebooks", str(DEMO), "--output-root", str(tiny_env),
               "--grid", "sed=1,2"])
    assert rc == 2
    assert "unknown parameter 'sed'" in capsys.readouterr().err


def test_an_existing_run_is_never_overwritten(tiny_env, capsys):
    keep = tiny_env / "tiny" / "earlier"
    keep.mkdir(parents=True)
    (keep / "findings.csv").write_text("kept\n")
    rc = main(["--study", "tiny", "--run", "earlier", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env)])
    err = capsys.readouterr().err
    assert rc == 2 and "exists" in err and "--overwrite" in err
    assert (keep / "findings.csv").read_text() == "kept\n"
    # a grid refuses before running anything when one of its runs exists (inside the grid folder)
    grid_dir = tiny_env / "tiny" / "grid__rounding-half_up+truncate"
    (grid_dir / "rounding-truncate").mkdir(parents=True)
    rc = main(["--study", "tiny", "--grid", "rounding=half_up,truncate", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env)])
    assert rc == 2 and "rounding-truncate" in capsys.readouterr().err
    assert not (grid_dir / "rounding-half_up").exists()
    # ... and with --overwrite too, since that folder carries no run marker
    rc = main(["--study", "tiny", "--grid", "rounding=half_up,truncate", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env), "--overwrite"])
    assert rc == 2 and "no run marker" in capsys.readouterr().err
    assert not (grid_dir / "rounding-half_up").exists()


def test_a_failing_notebook_names_notebook_and_cell(tiny_env, capsys):
    rc = main(["--study", "tiny", "--notebooks", str(FAILS), "--output-root", str(tiny_env),
               "-p", "reason", "planted"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "fails_on_purpose.ipynb failed in cell" in err
    assert "ValueError: planted" in err  # the injected value reached the kernel
    failed = tiny_env / "tiny" / "reason-planted.failed"  # the run is named after its parameters
    assert "fails_on_purpose.ipynb" in (failed / "FAILED.txt").read_text()
    # the report is built from what exists (here: no findings), the folder says it is incomplete
    assert (failed / "findings.csv").read_text().count("\n") == 1
    assert json.loads((failed / ".reanalysis-run.json").read_text())["status"] == "incomplete"
    assert not (tiny_env / "tiny" / "reason-planted").exists()


def test_same_parameters_give_byte_identical_findings(report_run, tmp_path, monkeypatch):
    """A real notebook and a fixture rerun under another name and folder, on the ledger and with
    the parameters of the shared run: their findings must not differ by one byte."""
    shared = report_run["run_dir"]
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(report_run["ledgers"]))
    notebooks = [REPO / "notebooks" / "04_toxicity.ipynb", DEMO]
    declared = set().union(*(declared_parameters(nb) for nb in notebooks))
    params = {k: v for k, v in report_run["params"].items() if k in declared}  # e.g. not n_sim
    again = run_notebooks("tiny", "again", params, notebooks=notebooks,
                          output_root=tmp_path / "elsewhere" / "deeper", log=lambda _: None)
    assert again.ok, again.message
    for nb in notebooks:
        part = f"findings/{nb.stem}.csv"
        assert (shared / part).read_bytes() == (again.run_dir / part).read_bytes(), part
    merged = tmp_path / "merged"
    (merged / "findings").mkdir(parents=True)
    for nb in notebooks:
        shutil.copy(shared / "findings" / f"{nb.stem}.csv", merged / "findings")
    merge_run_findings(merged)
    assert (merged / "findings.csv").read_bytes() == (again.run_dir / "findings.csv").read_bytes()
    assert len((again.run_dir / "findings.csv").read_text().splitlines()) > 1


def test_warm_up_source_is_the_leading_imports_only():
    """What a report kernel started ahead may run early: the imports before any other code."""
    import nbformat

    from helpers.run.runner import warm_up_source

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("study = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell("# title"),
                nbformat.v4.new_code_cell("import json\nfrom pathlib import Path as P"),
                nbformat.v4.new_code_cell("import os\nx = os.getpid()\nimport sys"),
                nbformat.v4.new_code_cell("import re")]
    assert warm_up_source(nb) == "import json\nfrom pathlib import Path as P\nimport os"
    nb.cells.insert(2, nbformat.v4.new_code_cell("%matplotlib inline\nimport json"))
    assert warm_up_source(nb) == ""   # a cell that is not plain Python stops it


def test_the_report_notebook_started_ahead_reads_every_finding(report_run):
    """The report notebook's kernel starts (and imports) while the last analysis notebook runs;
    it executes its cells only after the findings were merged, and the early imports leave no
    trace in the executed notebook (execution counts 1, 2, ... as written)."""
    import nbformat
    import pandas as pd

    run_dir = report_run["run_dir"]
    nb = nbformat.read(run_dir / "05_report.ipynb", as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    findings = pd.read_csv(run_dir / "findings.csv", dtype=str, keep_default_na=False)
    analysis = findings[findings["notebook"] != "05_report"]
    text = "".join("".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert f"{len(analysis)} findings from {analysis['notebook'].nunique()} notebook(s)" in text
