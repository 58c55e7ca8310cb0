"""papermill itself (not the runner) executes a notebook with a non-default parameter, and the
parameter changes what the notebook finds."""

from __future__ import annotations

import papermill
import pandas as pd

from conftest import REPO, TINY_ROOT

NOTEBOOK = REPO / "notebooks" / "04_toxicity.ipynb"


def _run(tmp_path, monkeypatch, name, **params):
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(TINY_ROOT.resolve()))
    out_dir = tmp_path / name
    out_nb = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out_nb), cwd=str(NOTEBOOK.parent),
                               parameters={"study": "toy_arith", "output_dir": str(out_dir), **params},
                               kernel_name="python3", progress_bar=False, start_timeout=180)
    text = out_nb.read_text(encoding="utf-8")
    findings = pd.read_csv(out_dir / "findings" / "04_toxicity.csv", dtype=str, keep_default_na=False)
    return text, findings.set_index(["check", "item"])["verdict"]


def test_a_non_default_rounding_rule_reaches_the_notebook_and_changes_verdicts(tmp_path, monkeypatch):
    default_text, default = _run(tmp_path, monkeypatch, "default")
    trunc_text, trunc = _run(tmp_path, monkeypatch, "truncate", rounding="truncate")
    assert "study rule: half_up" in default_text
    assert "study rule: truncate" in trunc_text
    assert '"injected-parameters"' in trunc_text          # papermill injected the override
    # 5/120 = 4.1667 prints as 4.2 when rounded, as 4.1 when truncated
    key = ("percent_count", "Nausea >=3")
    assert default[key] == "consistent" and trunc[key] == "inconsistent"
