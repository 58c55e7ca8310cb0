"""Parameter grids: the same notebooks rerun under every combination of parameter values, and a
table of the findings whose verdict changes across the grid.

``reanalysis --grid rounding=half_up,truncate --grid seed=1,2`` runs four runs, each into its own
folder named after its parameters, inside the grid's folder
(``outputs/<study>/grid__rounding-half_up+truncate__seed-1+2/rounding-half_up_seed-1/`` ...), and
writes ``comparison.csv`` and ``runs.csv`` beside them: one row per finding
(identified by notebook, area, check, item and locators), one verdict column per run, and
``changes`` telling whether the verdict differs between runs. A sensitivity analysis in the sense of
a multiverse analysis (Steegen et al. 2016, Perspect Psychol Sci): a finding that flips with the
rounding rule or the seed rests on that choice.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import yaml

from ..core.errors import ParameterError
from ..core.findings import read_findings

KEY = ["notebook", "area", "check", "item", "locators"]
ABSENT = "(absent)"


def parse_value(text: str):
    """A parameter value as typed on the command line: a YAML scalar (``0.05`` -> 0.05)."""
    value = yaml.safe_load(text)
    if isinstance(value, (dict, list)):
        raise ParameterError(f"parameter value {text!r} must be a single value")
    return value


def parse_grid(specs: Sequence[str]) -> dict[str, list]:
    """``["rounding=half_up,truncate", "seed=1,2"]`` -> ``{"rounding": [...], "seed": [1, 2]}``."""
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, values = str(spec).partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"grid '{spec}' must look like NAME=VALUE1,VALUE2")
        if name in grid:
            raise ParameterError(f"grid parameter '{name}' is given twice")
        parsed = [parse_value(v.strip()) for v in values.split(",") if v.strip()]
        if not parsed:
            raise ParameterError(f"grid parameter '{name}' has no values")
        if len(set(map(repr, parsed))) != len(parsed):
            raise ParameterError(f"grid parameter '{name}' repeats a value")
        grid[name] = parsed
    return grid


def expand_grid(grid: dict[str, list]) -> list[dict]:
    """Every combination, first parameter varying slowest (deterministic order)."""
    if not grid:
        return [{}]
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


_FILE_SUFFIX = re.compile(r"\.(csv|tsv|txt|parquet|feather|xlsx?|json)$", re.IGNORECASE)


def _slug(value) -> str:
    """A parameter value as part of a folder name: letters, digits, ``.``, ``_`` and ``-`` only; a
    file path by its name without folder and suffix (``data/patients.csv`` -> ``patients``)."""
    text = "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    if "/" in text or "\\" in text or _FILE_SUFFIX.search(text):
        text = _FILE_SUFFIX.sub("", re.split(r"[/\\]", text.rstrip("/\\"))[-1])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "empty"


def run_name(parameters: dict, prefix: str = "") -> str:
    """A readable folder name for a parameter set: ``rounding-truncate_alpha-0.05``;
    ``{"ipd": "data/patients.csv"}`` -> ``ipd-patients``."""
    name = "_".join(f"{k}-{_slug(v)}" for k, v in parameters.items()) or "default"
    return f"{prefix}_{name}" if prefix else name


def grid_name(grid: dict[str, list], prefix: str = "") -> str:
    """The folder of a grid's comparison: ``grid__rounding-half_up+truncate__seed-1+2``."""
    parts = [f"{k}-" + "+".join(_slug(v) for v in values) for k, values in grid.items()]
    name = "grid__" + "__".join(([prefix] if prefix else []) + parts)
    if len(name) > 120:  # a long grid: a readable head and a digest of the whole
        import hashlib

        name = name[:100].rstrip("_+-.") + "__" + hashlib.sha1(name.encode()).hexdigest()[:10]
    return name


@dataclass
class GridRun:
    name: str
    parameters: dict
    ok: bool
    run_dir: Path
    seconds: float
    message: str = ""


@dataclass
class GridResult:
    runs: list[GridRun] = field(default_factory=list)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.runs)


def compare_runs(run_dirs: dict[str, Path]) -> pd.DataFrame:
    """One row per finding, one verdict column per run, and whether the verdict changes.

    A finding is identified by notebook, area, check, item and locators (a key that occurs twice is
    numbered in file order); not by its printed or expected text, which a check may word differently
    under other parameters. A finding missing from a run shows as ``(absent)``: a change.
    """
    frames = []
    for name, run_dir in run_dirs.items():
        df = read_findings(Path(run_dir) / "findings.csv")
        if df.empty:
            continue
        df = df[KEY + ["verdict"]].copy()
        df["occurrence"] = df.groupby(KEY, sort=False).cumcount()
        df["run"] = name
        frames.append(df)
    runs = list(run_dirs)
    if not frames:
        return pd.DataFrame(columns=KEY + ["occurrence", *runs, "changes"])
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot(index=KEY + ["occurrence"], columns="run", values="verdict")
    wide = wide.reindex(columns=runs).fillna(ABSENT).reset_index()
    wide.columns.name = None
    wide["changes"] = wide[runs].nunique(axis=1) > 1
    wide = wide.sort_values(["changes", *KEY, "occurrence"], ascending=[False] + [True] * (len(KEY) + 1),
                            kind="mergesort").reset_index(drop=True)
    return wide


def format_comparison(table: pd.DataFrame, runs: Sequence[str], *, width: int = 60) -> str:
    """The comparison as text for the terminal: the findings that change, then counts per run."""
    if table.empty:
        return "no findings in any run of the grid"
    changed = table[table["changes"]]
    lines = [f"{len(changed)} of {len(table)} finding(s) change verdict across {len(runs)} run(s)"]
    if len(changed):
        show = changed[["notebook", "check", "item", "locators", *runs]].copy()
        show["item"] = show["item"].str.slice(0, width)
        show["locators"] = show["locators"].str.slice(0, width)
        lines.append(show.to_string(index=False))
    summary = pd.DataFrame({r: table[r].value_counts() for r in runs}).fillna(0).astype(int)
    lines.append("verdicts per run:")
    lines.append(summary.to_string())
    return "\n".join(lines)


def plan_grid(grid: dict[str, list], base: dict | None = None, prefix: str = "") -> list[tuple[str, dict]]:
    """(run name, parameters) for every combination; base parameters apply to all runs."""
    base = dict(base or {})
    clash = sorted(set(base) & set(grid))
    if clash:
        raise ParameterError(f"parameter(s) {', '.join(clash)} given both with -p and in --grid")
    plan = [(run_name(combo, prefix), {**base, **combo}) for combo in expand_grid(grid)]
    names = [n for n, _ in plan]
    if len(set(names)) != len(names):
        raise ParameterError("two grid points give the same run name; use values that differ in "
                             "letters or digits")
    return plan


def run_grid(study: str, grid: dict[str, list], base: dict | None = None, *,
             notebooks: list[Path] | None = None, output_root: Path | None = None, jobs: int = 2,
             overwrite: bool = False, prefix: str = "", start_timeout: int = 180,
             log: Callable[[str], None] = print, wait: bool = False) -> GridResult:
    """Run every combination of ``grid`` into its own run folder inside the grid's folder
    ``<output_root>/<study>/grid__.../``, then compare their findings.

    Every run's parameters are validated before the first run starts. Nothing runs when a run
    folder (or the grid's comparison) already exists, unless ``overwrite`` (and then only folders
    that carry the run marker are replaced); a run that fails does not stop the others, an
    interruption (:class:`helpers.run.runner.RunInterrupted`) stops the grid.
    """
    from ..core.paths import outputs_root, relative_to_root
    from .params import validate_parameters
    from .runner import RunError, check_segment, discover_notebooks, read_marker, run_notebooks

    check_segment(study, "study name")
    if prefix:
        check_segment(prefix, "run name prefix (--run)")
    notebooks = notebooks or discover_notebooks()
    plan = plan_grid(grid, base, prefix)
    for name, params in plan:
        check_segment(name, "run name")
        validate_parameters(params, notebooks)
    root = Path(output_root) if output_root else outputs_root()
    study_dir = root / study
    cmp_dir = study_dir / grid_name(grid, prefix)
    existing = [n for n, _ in plan if (cmp_dir / n).exists()]
    if (cmp_dir / "comparison.csv").exists():
        existing.append("comparison.csv")
    if existing and not overwrite:
        raise RunError(f"{relative_to_root(cmp_dir)} already holds {', '.join(existing)}; "
                       "pass --overwrite to replace them or --run PREFIX to run the grid under "
                       "new names")
    foreign = [n for n, _ in plan if (cmp_dir / n).exists() and read_marker(cmp_dir / n) is None]
    if foreign:
        raise RunError(f"{relative_to_root(cmp_dir)}: {', '.join(foreign)} not written by "
                       "reanalysis (no run marker); refusing to replace with --overwrite")
    result = GridResult()
    t0 = time.perf_counter()
    for i, (name, params) in enumerate(plan, start=1):
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        log(f"[{i}/{len(plan)}] {name}  ({shown})")
        t = time.perf_counter()
        try:
            res = run_notebooks(study, name, params, notebooks=notebooks, output_root=root, jobs=jobs,
                                overwrite=overwrite, start_timeout=start_timeout, log=log,
                                folder=cmp_dir, wait=wait)
            run = GridRun(name, params, res.ok, res.run_dir, time.perf_counter() - t, res.message)
        except RunError as exc:
            run = GridRun(name, params, False, cmp_dir / name, time.perf_counter() - t, str(exc))
        result.runs.append(run)
        elapsed = time.perf_counter() - t0
        left = elapsed / i * (len(plan) - i)
        log(f"[{i}/{len(plan)}] {name}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s"
            + (f"; about {left:.0f} s left" if i < len(plan) else ""))
    done = {r.name: r.run_dir for r in result.runs if r.ok}
    result.comparison = compare_runs(done)
    cmp_dir.mkdir(parents=True, exist_ok=True)
    result.comparison.to_csv(cmp_dir / "comparison.csv", index=False, lineterminator="\n")
    pd.DataFrame([{"run": r.name, "ok": r.ok, "seconds": round(r.seconds, 1),
                   "folder": relative_to_root(r.run_dir), **r.parameters} for r in result.runs]
                 ).to_csv(cmp_dir / "runs.csv", index=False, lineterminator="\n")
    result.comparison_path = cmp_dir / "comparison.csv"
    log(format_comparison(result.comparison, list(done)))
    log(f"comparison: {relative_to_root(result.comparison_path)}")
    return result
