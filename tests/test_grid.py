"""Parameter grids: parsing, run names, the comparison table, and a two-point grid run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.errors import ParameterError
from helpers.core.findings import Finding, findings_frame
from helpers.run.grid import compare_runs, expand_grid, grid_name, parse_grid, plan_grid, run_name
from helpers.run.cli import main

from conftest import edit_cell

DEMO = Path(__file__).parent / "fixtures" / "notebooks" / "rounding_only.ipynb"


def test_parse_and_expand_a_grid():
    grid = parse_grid(["rounding=half_up,truncate", "alpha=0.05,0.01", "seed=1"])
    assert grid == {"rounding": ["half_up", "truncate"], "alpha": [0.05, 0.01], "seed": [1]}
    combos = expand_grid(grid)
    assert len(combos) == 4
    assert combos[0] == {"rounding": "half_up", "alpha": 0.05, "seed": 1}
    assert combos[1] == {"rounding": "half_up", "alpha": 0.01, "seed": 1}
    assert run_name({"rounding": "truncate", "alpha": 0.05}) == "rounding-truncate_alpha-0.05"
    assert run_name({"alpha": None}, prefix="sens") == "sens_alpha-none"
    assert grid_name({"rounding": ["half_up", "truncate"]}) == "grid__rounding-half_up+truncate"


@pytest.mark.parametrize("spec, message", [
    (["rounding"], "NAME=VALUE1,VALUE2"), (["rounding="], "has no values"),
    (["seed=1,1"], "repeats a value"), (["seed=1", "seed=2"], "given twice")])
def test_bad_grids_are_refused(spec, message):
    with pytest.raises(ParameterError, match=message):
        parse_grid(spec)


def test_a_parameter_in_both_the_grid_and_p_is_refused():
    with pytest.raises(ParameterError, match="seed"):
        plan_grid({"seed": [1, 2]}, {"seed": 3})


def _write(run_dir: Path, findings: list[Finding]) -> Path:
    run_dir.mkdir(parents=True)
    findings_frame(findings).to_csv(run_dir / "findings.csv", index=False)
    return run_dir


def _f(item, verdict):
    return Finding(study="s", area="a", check="c", item=item, verdict=verdict, category="rounding",
                   locators=("Table 1",), printed="1 (50%)", expected="50", explanation="",
                   notebook="n", section="s")


def test_comparison_flags_only_findings_that_change(tmp_path):
    runs = {"r1": _write(tmp_path / "r1", [_f("A", "consistent"), _f("B", "consistent"), _f("C", "consistent")]),
            "r2": _write(tmp_path / "r2", [_f("A", "consistent"), _f("B", "inconsistent")])}
    table = compare_runs(runs).set_index("item")
    assert not table.loc["A", "changes"]
    assert table.loc["B", "changes"] and table.loc["B", "r2"] == "inconsistent"
    assert table.loc["C", "changes"] and table.loc["C", "r2"] == "(absent)"
    same = compare_runs({"r1": runs["r1"], "r1 again": runs["r1"]})
    assert not same["changes"].any()


def test_a_two_point_grid_gives_two_runs_and_the_comparison(tiny_copy, tmp_path, monkeypatch, capsys):
    root, study = tiny_copy
    edit_cell(study / "counts.csv", "c3", "count", "91")   # 45.5%: 46 rounding half up, 45 truncated
    edit_cell(study / "counts.csv", "c3", "percent", "46")
    edit_cell(study / "counts.csv", "c3", "printed", "91 (46%)")
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(root))
    out_root = tmp_path / "outputs"
    rc = main(["--study", "tiny", "--grid", "rounding=half_up,truncate", "--notebooks", str(DEMO),
               "--output-root", str(out_root), "--jobs", "1"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "[1/2] rounding-half_up" in out and "[2/2] rounding-truncate" in out
    grid_dir = out_root / "tiny" / "grid__rounding-half_up+truncate"
    assert sorted(p.name for p in (out_root / "tiny").iterdir()) == [grid_dir.name]  # runs inside
    for name, rule in (("rounding-half_up", "half_up"), ("rounding-truncate", "truncate")):
        assert (grid_dir / name / "findings.csv").is_file()
        executed = json.loads((grid_dir / name / DEMO.name).read_text())
        assert executed["metadata"]["papermill"]["parameters"]["rounding"] == rule
    cmp_path = grid_dir / "comparison.csv"
    table = pd.read_csv(cmp_path, dtype=str, keep_default_na=False)
    changed = table[table["changes"] == "True"]
    assert list(changed["item"]) == ["Best response: PR"]
    assert list(changed[["rounding-half_up", "rounding-truncate"]].iloc[0]) == ["consistent", "inconsistent"]
    assert "1 of" in out and "change verdict" in out and "Best response: PR" in out
    changed_line = next(ln for ln in out.splitlines() if "Best response: PR" in ln)
    assert list(changed["locators"])[0] in changed_line  # the console keeps the locators
    runs = pd.read_csv(cmp_path.parent / "runs.csv")
    assert list(runs["rounding"]) == ["half_up", "truncate"] and runs["ok"].all()


def test_the_console_table_keeps_locators_apart():
    """Two findings with the same item but other locators stay two distinguishable rows."""
    from helpers.run.grid import format_comparison

    table = pd.DataFrame({"notebook": ["n", "n"], "area": ["a", "a"], "check": ["c", "c"],
                          "item": ["AFP: >=400", "AFP: >=400"],
                          "locators": ["Table 1 / AFP", "Abstract / Results"], "occurrence": [0, 0],
                          "r1": ["consistent", "consistent"], "r2": ["inconsistent", "consistent"],
                          "changes": [True, False]})
    text = format_comparison(table, ["r1", "r2"])
    assert "Table 1 / AFP" in text and "1 of 2" in text


def test_a_grid_refuses_an_unsafe_prefix(tmp_path, capsys):
    rc = main(["--study", "tiny", "--grid", "seed=1,2", "--run", "../up", "--notebooks", str(DEMO),
               "--output-root", str(tmp_path / "out")])
    assert rc == 2 and "prefix" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
