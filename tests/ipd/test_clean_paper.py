"""A clean paper stays clean: every check of every notebook, run on the NCCTG reference ledger (numbers
printed from R's own results) with the NCCTG patient file, finds nothing but ``consistent`` or
``not testable``. The same run proves that papermill runs every notebook on a real cohort."""

from __future__ import annotations

from helpers.core.findings import read_findings
from helpers.run.runner import discover_notebooks

CLEAN = {"consistent", "not testable"}


def test_every_notebook_runs_on_the_ncctg_study(ncctg_run):
    result = ncctg_run.result
    assert result.ok, result.message + "\n" + "\n".join(ncctg_run.log)
    executed = {p.name for p in result.run_dir.glob("*.ipynb")}
    assert {nb.name for nb in discover_notebooks()} <= executed


def test_no_check_flags_the_clean_paper(ncctg_run):
    assert ncctg_run.result.ok, ncctg_run.result.message
    findings = read_findings(ncctg_run.result.run_dir / "findings.csv")
    flagged = findings[~findings["verdict"].isin(CLEAN)]
    assert flagged.empty, "a check flags the clean reference paper:\n" + flagged[
        ["notebook", "check", "item", "verdict", "printed", "expected", "explanation"]].to_string()
