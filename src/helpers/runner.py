"""The batch runner behind ``make reanalysis``: every notebook, executed with papermill.

``reanalysis --study cao2024 --run default -p rounding half_up`` executes the analysis notebooks
(in parallel, one kernel per notebook) into ``outputs/<study>/<run>/``, merges their findings into
``findings.csv``, then runs the report notebooks (names containing ``report`` or ``summary``), then
:func:`helpers.report.finalize_run` (HTML report, draft letter, manifest). Without ``--run`` the run
is named after the parameters given (``-p rounding truncate`` -> ``rounding-truncate``).

``reanalysis --grid rounding=half_up,truncate --grid seed=1,2`` runs every combination, each into
its own run folder, and writes a table of the findings whose verdict changes (:mod:`helpers.grid`).
An existing run folder is never replaced without ``--overwrite``.

A run is written into a hidden ``.<run>.partial`` folder and renamed to ``<run>`` only when every
notebook succeeded, so a folder named after a run is always complete. On failure the partial folder
becomes ``<run>.failed`` with ``FAILED.txt`` saying which notebook and cell failed, and the runner
exits with status 1.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib.util
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, ParameterError
from .findings import merge_run_findings
from .ledger import load_ledger
from .params import check_parameter_names, declared_parameters
from .paths import notebooks_dir, outputs_root, relative_to_root

REPORT_MARKERS = ("report", "summary")


@dataclass
class NotebookResult:
    notebook: str
    ok: bool
    seconds: float
    message: str = ""


@dataclass
class RunResult:
    run_dir: Path
    ok: bool
    results: list[NotebookResult] = field(default_factory=list)
    message: str = ""


class RunError(RuntimeError):
    """A run failed; the message names the notebook and cell."""


def discover_notebooks(directory: Path | None = None) -> list[Path]:
    directory = directory or notebooks_dir()
    return sorted(p for p in directory.glob("*.ipynb") if not p.name.startswith("."))


def is_report(notebook: Path) -> bool:
    return any(m in notebook.stem for m in REPORT_MARKERS)


def _execute(notebook: str, output: str, parameters: dict, cwd: str,
             start_timeout: int) -> NotebookResult:
    """Execute one notebook with papermill (runs in a worker process)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    name = Path(notebook).name
    try:
        papermill.execute_notebook(notebook, output, parameters=parameters, cwd=cwd,
                                   progress_bar=False, log_output=False, kernel_name="python3",
                                   start_timeout=start_timeout)
    except PapermillExecutionError as exc:
        msg = (f"notebook {name} failed in cell {exc.exec_count} (cell index {exc.cell_index}): "
               f"{exc.ename}: {exc.evalue}")
        return NotebookResult(name, False, time.perf_counter() - t0, msg)
    except Exception as exc:  # kernel death, timeouts, unreadable notebook
        msg = f"notebook {name} could not be executed: {type(exc).__name__}: {exc}"
        return NotebookResult(name, False, time.perf_counter() - t0, msg)
    return NotebookResult(name, True, time.perf_counter() - t0)


def _parse_value(text: str):
    """A command-line parameter value: YAML scalar (``0.05`` -> float, ``none`` -> None)."""
    value = yaml.safe_load(text)
    if isinstance(value, (dict, list)):
        raise ParameterError(f"parameter value {text!r} must be a single value")
    return value


def run_notebooks(study: str, run: str, parameters: dict | None = None, *,
                  notebooks: list[Path] | None = None, output_root: Path | None = None,
                  jobs: int = 2, overwrite: bool = False, start_timeout: int = 180,
                  log=print) -> RunResult:
    """Execute the notebooks for one study and parameter set into ``<output_root>/<study>/<run>``.

    Raises :class:`ParameterError` for an unknown parameter name and
    :class:`helpers.errors.LedgerError` for a malformed ledger before anything is executed.
    """
    parameters = dict(parameters or {})
    notebooks = notebooks or discover_notebooks()
    for var in ("REANALYSIS_LEDGER_ROOT", "REANALYSIS_ROOT"):  # kernels run in notebooks/
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).resolve())
    if not notebooks:
        raise RunError("no notebooks to run")
    for reserved in ("study", "output_dir"):
        if reserved in parameters:
            raise ParameterError(f"parameter '{reserved}' is set by the runner; use --{reserved.replace('_', '-')}")
    check_parameter_names(parameters, notebooks)
    load_ledger(study)  # fail fast, with the ledger's own message

    output_root = Path(output_root) if output_root else outputs_root()
    study_dir = output_root / study
    final = study_dir / run
    if final.exists() and not overwrite:
        raise RunError(f"{relative_to_root(final)} exists; choose another --run name or pass --overwrite")
    partial = study_dir / f".{run}.partial"
    failed = study_dir / f"{run}.failed"
    for stale in (partial, failed):
        if stale.exists():
            shutil.rmtree(stale)
    partial.mkdir(parents=True)

    def params_for(nb: Path) -> dict:
        declared = declared_parameters(nb)
        chosen = {k: v for k, v in parameters.items() if k in declared}
        if "study" in declared:
            chosen["study"] = study
        if "output_dir" in declared:
            chosen["output_dir"] = str(partial.resolve())
        return chosen

    analysis = [nb for nb in notebooks if not is_report(nb)]
    reports = [nb for nb in notebooks if is_report(nb)]
    results: list[NotebookResult] = []
    t_run = time.perf_counter()

    def submit_all(batch: list[Path], workers: int) -> list[NotebookResult]:
        out: list[NotebookResult] = []
        if not batch:
            return out

        def report(res: NotebookResult) -> None:
            done = len(results) + len(out) + 1
            log(f"  [{done}/{total}] {'ok ' if res.ok else 'FAIL'} {res.notebook} ({res.seconds:.1f} s)")
            out.append(res)

        if min(workers, len(batch)) <= 1:  # one at a time: no worker process to start
            for nb in batch:
                report(_execute(str(nb), str(partial / nb.name), params_for(nb), str(nb.parent),
                                start_timeout))
            return sorted(out, key=lambda r: r.notebook)
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=max(1, min(workers, len(batch))),
                                    mp_context=ctx) as pool:
            futures = {pool.submit(_execute, str(nb), str(partial / nb.name), params_for(nb),
                                   str(nb.parent), start_timeout): nb for nb in batch}
            for fut in cf.as_completed(futures):
                report(fut.result())
        return sorted(out, key=lambda r: r.notebook)

    total = len(analysis) + len(reports)
    log(f"run {study}/{run}: {len(analysis)} analysis notebook(s), {len(reports)} report notebook(s)")
    results += submit_all(analysis, jobs)
    if all(r.ok for r in results):
        merge_run_findings(partial)
        for nb in reports:
            results += submit_all([nb], 1)
    ok = all(r.ok for r in results)
    if ok:
        finalize = _finalize_hook()
        if finalize is not None:
            log("  writing the report (HTML pages, draft letter, manifest)")
            try:
                finalize(partial, study=study, run=run, parameters=parameters, results=results,
                         seconds=time.perf_counter() - t_run)
            except Exception as exc:
                ok = False
                results.append(NotebookResult("report", False, 0.0,
                                              f"building the report failed: {type(exc).__name__}: {exc}"))
    if not ok:
        message = "\n".join(r.message for r in results if not r.ok)
        (partial / "FAILED.txt").write_text(message + "\n", encoding="utf-8")
        for name in ("findings.csv", "findings.json"):
            (partial / name).unlink(missing_ok=True)
        partial.rename(failed)
        return RunResult(failed, False, results, message)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return RunResult(final, True, results)


def _finalize_hook():
    """``helpers.report.finalize_run`` when the report module is present (HTML, letter, manifest)."""
    if importlib.util.find_spec("helpers.report") is None:
        return None
    from . import report

    return getattr(report, "finalize_run", None)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reanalysis",
        description="Execute every notebook with papermill into outputs/<study>/<run>/.")
    p.add_argument("--study", default="cao2024", help="study folder under data/published (default cao2024)")
    p.add_argument("--run", default=None,
                   help="run name: the folder under outputs/<study>/ (default: named after the -p "
                        "parameters, or 'default'; with --grid, a prefix for the grid's run names)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="set a notebook parameter (repeatable)")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                   help="run every combination of these values, one run folder each (repeatable)")
    p.add_argument("--notebooks", default="",
                   help="comma-separated notebook names, or paths to .ipynb files (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="notebooks executed in parallel (default 2)")
    p.add_argument("--output-root", default=None, help="where run folders go (default outputs/)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    p.add_argument("--start-timeout", type=int, default=180, help="kernel start timeout in seconds")
    return p


def select_notebooks(spec: str) -> list[Path]:
    """``--notebooks``: names of notebooks in ``notebooks/`` or paths to ``.ipynb`` files."""
    notebooks = discover_notebooks()
    if not spec:
        return notebooks
    by_stem = {nb.stem: nb for nb in notebooks}
    chosen, missing = [], []
    for item in (n.strip() for n in spec.split(",")):
        if not item:
            continue
        path = Path(item)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path.resolve())
        elif item.removesuffix(".ipynb") in by_stem:
            chosen.append(by_stem[item.removesuffix(".ipynb")])
        else:
            missing.append(item.removesuffix(".ipynb"))
    if missing:
        raise ParameterError(f"unknown notebook(s): {', '.join(missing)} "
                             f"(known: {', '.join(by_stem)})")
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        params = {name: _parse_value(value) for name, value in args.parameter}
        notebooks = select_notebooks(args.notebooks)
        output_root = Path(args.output_root) if args.output_root else None
        if args.grid:
            return _main_grid(args, params, notebooks, output_root)
        run = args.run
        if run is None:
            from .grid import run_name

            run = run_name(params) if params else "default"
        result = run_notebooks(args.study, run, params, notebooks=notebooks,
                               output_root=output_root,
                               jobs=args.jobs, overwrite=args.overwrite,
                               start_timeout=args.start_timeout)
    except (ParameterError, InputError, RunError) as exc:
        print(f"reanalysis: error: {exc}", file=sys.stderr)
        return 2
    if not result.ok:
        print(f"reanalysis: run failed; see {relative_to_root(result.run_dir)}/FAILED.txt\n"
              f"{result.message}", file=sys.stderr)
        return 1
    print(f"reanalysis: wrote {relative_to_root(result.run_dir)}")
    if (result.run_dir / "index.html").is_file():
        print(f"reanalysis: report {relative_to_root(result.run_dir / 'index.html')}")
    return 0


def _main_grid(args, params: dict, notebooks: list[Path], output_root: Path | None) -> int:
    """``--grid``: every combination into its own run; exit 1 when any run failed."""
    from .grid import parse_grid, run_grid

    grid = parse_grid(args.grid)
    result = run_grid(args.study, grid, params, notebooks=notebooks, output_root=output_root,
                      jobs=args.jobs, overwrite=args.overwrite, prefix=args.run or "",
                      start_timeout=args.start_timeout)
    failed = [r for r in result.runs if not r.ok]
    for r in failed:
        print(f"reanalysis: run {r.name} failed; see {relative_to_root(r.run_dir)}/FAILED.txt\n"
              f"{r.message}", file=sys.stderr)
    print(f"reanalysis: {len(result.runs) - len(failed)} of {len(result.runs)} run(s) written; "
          f"comparison {relative_to_root(result.comparison_path)}")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
