"""The batch runner behind ``make reanalysis``: every notebook, executed with papermill.

``reanalysis --study cao2024 --run default -p rounding half_up`` executes the analysis notebooks
(in parallel, one kernel per notebook) into ``outputs/<study>/<run>/``, merges their findings into
``findings.csv``, then runs the report notebooks (names containing ``report`` or ``summary``), then
:func:`helpers.report.build.finalize_run` (HTML report, draft letter, manifest). Without ``--run`` the run
is named after the parameters given (``-p rounding truncate`` -> ``rounding-truncate``).

``reanalysis --grid rounding=half_up,truncate --grid seed=1,2`` runs every combination, each into
its own run folder, and writes a table of the findings whose verdict changes (:mod:`helpers.run.grid`).
An existing run folder is never replaced without ``--overwrite``.

A run is written into a hidden ``.<run>.partial`` folder and renamed to ``<run>`` only when every
notebook succeeded, so a folder named after a run is always complete. On failure the partial folder
becomes ``<run>.failed`` with ``FAILED.txt`` saying which notebook and cell failed, and the runner
exits with status 1.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ParameterError
from ..core.findings import merge_run_findings
from ..ledger.load import load_ledger
from .params import check_parameter_names, declared_parameters
from ..core.paths import REPORT_MARKERS, notebooks_dir, outputs_root, relative_to_root


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


def run_notebooks(study: str, run: str, parameters: dict | None = None, *,
                  notebooks: list[Path] | None = None, output_root: Path | None = None,
                  jobs: int = 2, overwrite: bool = False, start_timeout: int = 180,
                  log=print) -> RunResult:
    """Execute the notebooks for one study and parameter set into ``<output_root>/<study>/<run>``.

    Raises :class:`ParameterError` for an unknown parameter name and
    :class:`helpers.core.errors.LedgerError` for a malformed ledger before anything is executed.
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
    """``helpers.report.build.finalize_run`` when the report module is present (HTML, letter, manifest)."""
    if importlib.util.find_spec("helpers.report.build") is None:
        return None
    from ..report import build

    return getattr(build, "finalize_run", None)


