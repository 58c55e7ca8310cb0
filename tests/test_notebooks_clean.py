"""Committed notebooks carry no outputs and declare their papermill parameters."""

import json

import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
COMMON = {"study", "output_dir", "rounding", "alpha", "seed"}


def test_there_are_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_baseline", "02_efficacy", "03_cox_prognosis", "04_toxicity"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
        assert "injected-parameters" not in cell.get("metadata", {}).get("tags", [])
    assert "papermill" not in nb.get("metadata", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_declares_common_parameters_with_types_and_help(path):
    from helpers.run.params import declared_parameters

    declared = declared_parameters(path)
    if "report" in path.stem or "summary" in path.stem:
        assert {"study", "output_dir"} <= set(declared)
    else:
        assert COMMON <= set(declared), COMMON - set(declared)
    for name, spec in declared.items():
        assert spec["type"] not in (None, "None"), f"{path.name}: parameter {name} has no type"
        assert spec["help"], f"{path.name}: parameter {name} has no comment"
