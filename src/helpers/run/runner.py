"""The batch runner behind ``make reanalysis``: every notebook, executed with papermill.

``reanalysis --study cao2024 --run default -p rounding half_up`` executes the analysis notebooks
(in parallel, one worker process and one kernel per notebook) into ``outputs/<study>/<run>/``,
merges their findings into ``findings.csv`` and their check runs into ``checks.csv``, then runs the
report notebooks (names containing ``report`` or ``summary``), then
:func:`helpers.report.build.finalize_run` (HTML report, draft letter, manifest). Without ``--run``
the run is named after the parameters given (``-p rounding truncate`` -> ``rounding-truncate``).

Never losing a run
------------------
* A run name (and a study name) is one safe path segment: letters, digits, ``-``, ``_`` and ``.``,
  not starting with ``.``, not ``.`` or ``..``, not ending in ``.failed`` (:func:`check_segment`).
  Every folder a run writes, renames or deletes is resolved and checked to lie under the output root.
* Every run folder carries the marker file ``.reanalysis-run.json`` (study, run, status, notebooks).
  ``--overwrite`` replaces only a folder that carries it; anything else is refused.
* One lock per run folder (``.<run>.lock`` beside it, an ``fcntl`` lock held for the whole run): a
  second run of the same name is refused with the first one's process id (or waits, ``wait=True``).
  The work folder ``.<run>.partial`` is touched only by the run holding the lock.
* Parameters (names, types, ranges), the ledger and the patient file are validated before any
  kernel starts (:func:`helpers.run.params.validate_parameters`,
  :func:`helpers.ledger.load.validate_inputs`).

What a finished run looks like
------------------------------
A run is written into the hidden work folder and published under one of two names:

* ``<run>/`` only when every notebook ran, every registered check ran or was not applicable, and the
  report was built: the marker says ``"status": "complete"``; exit status 0.
* ``<run>.failed/`` otherwise, with ``FAILED.txt`` naming each failed notebook (and cell), each
  failed check (notebook, section, error) or the failed report step. A failure costs only its own
  output: the other notebooks still run, the findings of those that ran are merged, the report is
  built from what exists. The marker says ``"status": "incomplete"``; exit status 1.
* Ctrl-C (SIGINT) or SIGTERM stops every worker and kernel (the whole process tree, frozen first so
  that nothing can start a new child, then killed), leaves ``<run>.failed/`` whose ``FAILED.txt``
  says ``interrupted``, and :class:`RunInterrupted` carries the signal (the command exits 130/143,
  without a traceback).

How a run is scheduled
----------------------
* The analysis notebooks start longest first (estimated by their code cells), ``jobs`` at a time,
  so that the batch does not end with one long notebook alone on an otherwise idle machine.
* When no analysis notebook is left to start and a slot is free, the next report notebook's worker
  starts ahead: its kernel starts and runs the notebook's leading imports silently (no output, no
  execution count, :func:`warm_up_source`), then waits for a release file that the runner creates
  once the notebooks before it have finished and their findings are merged. Its cells run as
  written, after the merge; its time excludes the wait.
* A worker writes its output notebook at most every :data:`SAVE_EVERY` seconds while cells run
  (and always at the start and the end), and stops its kernel at once when the notebook is done.
  Worker processes and the HTML export skip jsonschema's optional format checkers
  (:func:`helpers.run.imports.skip_slow_optional_imports`), which cost seconds per process.

The console shows one line when a notebook starts, how far it is (``cell k of n``; updated in place
on a terminal, every 20 s otherwise) and one line when it is done, with its time. Kernel log noise
(``Kernel is running over TCP without encryption``) goes to a private log that only a failure quotes.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..core.errors import ParameterError
from ..core.paths import REPORT_MARKERS, notebooks_dir, outputs_root, relative_to_root
from .imports import SLOW_OPTIONAL_IMPORTS, skip_slow_optional_imports  # noqa: F401  (re-exported)

RUN_MARKER = ".reanalysis-run.json"
MARKER_TOOL = "reanalysis"
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
MAX_SEGMENT = 120
# Lines of kernel and client logs that say nothing about the run.
NOISE = ("Kernel is running over TCP without encryption", "Starting the kernel at pid",
         "To connect another client to this kernel", "--existing kernel-")
HEARTBEAT_SECONDS = 20.0
# A worker writes its output notebook at most this often while cells run (papermill would write it
# twice per cell, serialising the whole notebook each time); the final notebook is always written.
SAVE_EVERY = 5.0


# ---------------------------------------------------------------------------------------------
# Results and errors
# ---------------------------------------------------------------------------------------------

@dataclass
class NotebookResult:
    notebook: str
    ok: bool
    seconds: float
    message: str = ""
    cell: int | None = None        # the cell that failed (papermill's execution count), if any
    status: str = "ran"            # ran | failed | interrupted | not run


@dataclass
class RunResult:
    run_dir: Path
    ok: bool
    results: list[NotebookResult] = field(default_factory=list)
    message: str = ""
    failed_checks: list[dict] = field(default_factory=list)
    check_counts: dict = field(default_factory=dict)


class RunError(RuntimeError):
    """A run cannot start (name, folder, lock) or has no notebooks; the message says why."""


class RunInterrupted(BaseException):
    """SIGINT or SIGTERM stopped the run; ``run_dir`` is the ``.failed`` folder left behind.

    A ``BaseException`` (like ``KeyboardInterrupt``), so that no ``except Exception`` on the way,
    in a report step or a grid, swallows it.
    """

    def __init__(self, signum: int, run_dir: Path | None = None):
        self.signum = int(signum)
        self.run_dir = run_dir
        name = signal.Signals(self.signum).name
        where = f"; what was written is in {relative_to_root(run_dir)}" if run_dir else ""
        super().__init__(f"interrupted by {name}{where}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


# ---------------------------------------------------------------------------------------------
# Names, folders, marker, lock
# ---------------------------------------------------------------------------------------------

def check_segment(name, what: str = "run name") -> str:
    """``name`` if it is one safe path segment, else :class:`ParameterError` saying why.

    Allowed: letters, digits, ``-``, ``_`` and ``.``; not empty, not starting with ``.`` (hidden
    folders are the runner's own), not ``.``/``..``, not ending in ``.failed``, at most 120
    characters.
    """
    text = "" if name is None else str(name)
    rule = ("one folder name of letters, digits, '-', '_' and '.', not starting with '.' and not "
            "ending in '.failed'")
    if not text:
        raise ParameterError(f"{what} is empty; give {rule}")
    if text in (".", ".."):
        raise ParameterError(f"{what} {text!r} is not allowed; give {rule}")
    if "/" in text or "\\" in text or os.sep in text:
        raise ParameterError(f"{what} {text!r} contains a path separator; give {rule}")
    if not SAFE_SEGMENT.fullmatch(text) or text.endswith(".failed") or len(text) > MAX_SEGMENT:
        raise ParameterError(f"{what} {text!r} is not allowed; give {rule} (at most {MAX_SEGMENT} "
                             "characters)")
    return text


def _inside(root: Path, path: Path) -> Path:
    """``path`` resolved, or RunError when it does not lie strictly under ``root`` (resolved)."""
    resolved = path.resolve()
    root = root.resolve()
    if resolved == root or root not in resolved.parents:
        raise RunError(f"{path} is not inside the output root {root}; refusing to write there")
    return resolved


def read_marker(folder: Path) -> dict | None:
    """The run marker of ``folder`` (a dict), or None when it carries none (or not the project's)."""
    path = Path(folder) / RUN_MARKER
    if Path(folder).is_symlink() or not path.is_file() or path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("tool") == MARKER_TOOL else None


def write_marker(folder: Path, **content) -> None:
    data = {"tool": MARKER_TOOL, "marker_version": 1, **content}
    tmp = Path(folder) / (RUN_MARKER + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, Path(folder) / RUN_MARKER)


def _remove(path: Path, root: Path) -> None:
    """Delete a folder of ours under ``root`` (a symlink is unlinked, never followed)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    _inside(root, path)
    shutil.rmtree(path)


class RunLock:
    """An exclusive ``fcntl`` lock on ``<folder>/.<run>.lock``; released when the process ends."""

    def __init__(self, folder: Path, run: str, *, wait: bool = False, log: Callable = print):
        self.path = Path(folder) / f".{run}.lock"
        self.run = run
        self.wait = wait
        self.log = log
        self.fh = None

    def __enter__(self) -> "RunLock":
        try:
            fh = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise RunError(_unwritable(self.path.parent, exc)) from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if not self.wait:
                fh.close()
                raise RunError(f"run '{self.run}' is already running ({holder}) in "
                               f"{relative_to_root(self.path.parent)}; wait for it to finish, pass "
                               "--wait, or choose another --run name") from None
            self.log(f"waiting for run '{self.run}' ({holder}) to finish ...")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            self.fh.seek(0)
            self.fh.truncate()
            self.fh.flush()
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def _unwritable(folder: Path, exc: OSError) -> str:
    return (f"cannot write to {relative_to_root(folder)}: {exc.strerror or exc}; choose a writable "
            "--output-root")


# ---------------------------------------------------------------------------------------------
# Process trees (Linux /proc; psutil when there is no /proc)
# ---------------------------------------------------------------------------------------------

def _ppid_map() -> dict[int, int]:
    """pid -> parent pid of every process (zombies excluded)."""
    out: dict[int, int] = {}
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            rest = stat[stat.rfind(")") + 2:].split()
            if rest and rest[0] != "Z":
                out[int(entry.name)] = int(rest[1])
        return out
    try:  # pragma: no cover - not Linux
        import psutil
    except ImportError:  # pragma: no cover
        return out
    for p in psutil.process_iter(["pid", "ppid", "status"]):  # pragma: no cover
        if p.info["status"] != psutil.STATUS_ZOMBIE:
            out[p.info["pid"]] = p.info["ppid"]
    return out


def descendants(pids) -> set[int]:
    """Every living descendant of ``pids`` (not the pids themselves)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _ppid_map().items():
        children.setdefault(ppid, []).append(pid)
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if Path("/proc").is_dir():
            return False
        try:  # pragma: no cover - not Linux
            os.kill(pid, 0)
        except OSError:  # pragma: no cover
            return False
        return True  # pragma: no cover
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def kill_tree(roots) -> set[int]:
    """Stop ``roots`` and all their descendants: freeze (SIGSTOP) until no new process appears, so
    that none can start a child or be re-parented unseen, then SIGKILL them all. Returns the pids."""
    roots = {int(p) for p in roots if p}
    frozen: set[int] = set()
    for _ in range(20):
        tree = {p for p in roots if pid_alive(p)} | descendants(roots | frozen)
        new = tree - frozen
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass
        frozen |= new
    for pid in frozen:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return frozen


# ---------------------------------------------------------------------------------------------
# The worker: one process per notebook, in its own session, reporting on a pipe
# ---------------------------------------------------------------------------------------------

def _quiet_logging() -> None:
    import logging
    import warnings

    class _Noise(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not any(n in record.getMessage() for n in NOISE)

    for name in ("papermill", "nbclient", "jupyter_client", "traitlets", "asyncio"):
        lg = logging.getLogger(name)
        lg.addFilter(_Noise())
        lg.setLevel(logging.ERROR)
    logging.getLogger().addFilter(_Noise())
    warnings.filterwarnings("ignore", message=".*without encryption.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def _watch_parent(parent: int) -> None:
    """A thread that ends this worker (and its kernel) if the runner that started it is gone."""
    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent or not pid_alive(parent):
                kill_tree(descendants({os.getpid()}))
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def warm_up_source(nb) -> str:
    """The leading import statements of a notebook (after its parameters cells), as one piece of
    code: what a waiting report kernel may import ahead of time. Stops at the first statement
    that is not an import, so that nothing runs earlier than in the notebook except imports that
    come before any other code."""
    import ast

    lines: list[str] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            break
        for node in tree.body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                return "\n".join(lines)
            lines.append(ast.unparse(node))
    return "\n".join(lines)


def _worker_main(argv: list[str] | None = None) -> None:
    """Entry of a worker process: execute one notebook with papermill, report on the pipe.

    With ``release`` in its spec the worker starts the kernel, imports the notebook's leading
    imports silently (no output, no execution count), and waits for that file to appear before
    it executes the first cell (the runner creates it once the notebooks before have finished).
    Intermediate saves of the output notebook (papermill writes it before and after every cell)
    are made at most every :data:`SAVE_EVERY` seconds; the first and the final save always. The
    kernel is stopped at once when the notebook is done (its process group killed), not shut
    down gracefully."""
    spec = json.loads((argv or sys.argv[1:])[0])
    out = os.fdopen(int(spec["fd"]), "w", buffering=1, encoding="utf-8")

    def emit(**event) -> None:
        try:
            out.write(json.dumps(event) + "\n")
            out.flush()
        except OSError:
            pass

    _watch_parent(int(spec["parent"]))

    def on_term(signum, frame):  # stop the kernel with us
        kill_tree(descendants({os.getpid()}))
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    _quiet_logging()
    skip_slow_optional_imports()
    import papermill
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillExecutionError
    from papermill.log import logger as pm_logger
    from papermill.utils import merge_kwargs, remove_args

    state = {"cell": None, "cells": None}
    release = spec.get("release")

    class ProgressClient(PapermillNotebookClient):
        """papermill's client; with a release file, warms the kernel up and waits for it."""

        def papermill_execute_cells(self):
            if release:
                code = warm_up_source(self.nb)
                if code:  # silent: no output, no history, no execution count
                    try:
                        self.wait_for_reply(self.kc.execute(code, silent=True,
                                                            store_history=False))
                    except Exception:  # the notebook's own cell will say what is wrong
                        pass
                t_wait = time.perf_counter()
                emit(e="waiting")
                while not os.path.exists(release):
                    time.sleep(0.05)
                self.nb_man.set_timer()  # the notebook's duration starts now, not at the kernel
                self.nb.metadata.papermill["start_time"] = self.nb_man.start_time.isoformat()
                state["waited"] = time.perf_counter() - t_wait
            emit(e="start", cells=state["cells"], waited=state.get("waited", 0.0))
            return super().papermill_execute_cells()

    class ProgressEngine(NBClientEngine):
        """papermill's nbclient engine, reporting each cell it starts, saving less often."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            n = len(nb_man.nb.cells)
            state["cells"] = n
            original_start, original_save = nb_man.cell_start, nb_man.save
            last = {"t": 0.0}

            def save(**kw):
                if state.get("in_cell") and time.monotonic() - last["t"] < SAVE_EVERY:
                    return
                original_save(**kw)
                last["t"] = time.monotonic()

            def in_cell(method):
                def wrapped(*a, **kw):
                    state["in_cell"] = True
                    try:
                        return method(*a, **kw)
                    finally:
                        state["in_cell"] = False
                return wrapped

            def cell_start(cell, cell_index=None, **kw):
                k = (cell_index or 0) + 1
                state["cell"] = k
                emit(e="cell", k=k, n=n)
                return original_start(cell, cell_index, **kw)

            nb_man.save = save
            nb_man.cell_start = in_cell(cell_start)
            nb_man.cell_complete = in_cell(nb_man.cell_complete)
            # what NBClientEngine.execute_managed_notebook does, with our client
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=pm_logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                # every cell has replied and the kernel is idle when it is stopped: a graceful
                # shutdown (interrupt, request, wait) only costs seconds per notebook
                shutdown_kernel="immediate")
            return ProgressClient(nb_man, **final_kwargs).execute()

    papermill_engines.register("reanalysis-progress", ProgressEngine)
    name = Path(spec["notebook"]).name
    try:
        papermill.execute_notebook(spec["notebook"], spec["output"], parameters=spec["parameters"],
                                   cwd=spec["cwd"], progress_bar=False, log_output=False,
                                   kernel_name=spec.get("kernel", "python3"),
                                   start_timeout=int(spec["start_timeout"]),
                                   engine_name="reanalysis-progress")
    except PapermillExecutionError as exc:
        emit(e="end", ok=False, cell=exc.exec_count, cells=state["cells"],
             message=f"notebook {name} failed in cell {exc.exec_count} (cell index "
                     f"{exc.cell_index}): {exc.ename}: {exc.evalue}")
    except BaseException as exc:  # kernel death, timeouts, unreadable notebook
        emit(e="end", ok=False, cell=state["cell"], cells=state["cells"],
             message=f"notebook {name} could not be executed: {type(exc).__name__}: {exc}")
    else:
        emit(e="end", ok=True, cells=state["cells"])
    out.close()
    os._exit(0)  # no atexit work: the kernel has been shut down by papermill


class _Worker:
    """A running notebook: its worker process, the events it sent and what the console shows."""

    def __init__(self, nb: Path, output: Path, parameters: dict, *, start_timeout: int,
                 env: dict, log_dir: Path, index: int, total: int, release: Path | None = None):
        self.nb = nb
        self.index, self.total = index, total
        self.events: queue.Queue = queue.Queue()
        self.cell = 0
        self.cells = None
        self.end: dict | None = None
        self.t0 = time.perf_counter()
        self.last_beat = self.t0
        self.log_path = log_dir / f"{nb.stem}.log"
        # with a release file: started ahead, holding its kernel until release() (a report
        # notebook waiting for the notebooks before it)
        self.release_path = release
        self.held = release is not None
        self.waited = 0.0
        read_fd, write_fd = os.pipe()
        spec = {"notebook": str(nb), "output": str(output), "parameters": parameters,
                "cwd": str(nb.parent), "start_timeout": start_timeout, "fd": write_fd,
                "parent": os.getpid(), "release": str(release) if release else None}
        code = "from helpers.run.runner import _worker_main; _worker_main()"
        with open(self.log_path, "wb") as log:
            try:
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", code, json.dumps(spec)], pass_fds=(write_fd,),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=str(nb.parent),
                    start_new_session=True)
            finally:
                os.close(write_fd)
        self.reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True)
        self.reader.start()

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8") as fh:
            for line in fh:
                try:
                    self.events.put(json.loads(line))
                except ValueError:
                    pass

    @property
    def label(self) -> str:
        return f"[{self.index}/{self.total}] {self.nb.stem}"

    def release(self) -> None:
        """Let a held worker execute its notebook."""
        if self.held:
            self.release_path.touch()
            self.held = False

    def progress(self) -> str:
        if self.held:
            return f"{self.nb.stem} ready, waiting for the notebooks before it"
        done = f"cell {self.cell} of {self.cells}" if self.cells else "starting the kernel"
        return f"{self.nb.stem} {done} ({self.elapsed():.0f} s)"

    def elapsed(self) -> float:
        """Seconds of this notebook's worker, without the time it was held ready (the worker
        measures that wait and reports it when it starts the first cell)."""
        return time.perf_counter() - self.t0 - self.waited

    def poll(self, line: Callable[[str], None]) -> bool:
        """Handle the events so far; True when the worker has finished."""
        while True:
            try:
                ev = self.events.get_nowait()
            except queue.Empty:
                break
            if ev.get("e") == "start":
                self.cells = ev.get("cells")
                self.waited = float(ev.get("waited") or 0.0)
                line(f"  {self.label}  started ({self.cells} cells)")
            elif ev.get("e") == "waiting":
                self.cells = None
            elif ev.get("e") == "cell":
                self.cell = ev.get("k", self.cell)
            elif ev.get("e") == "end":
                self.end = ev
        if self.proc.poll() is None:
            return False
        self.reader.join(timeout=5)
        if self.end is None:  # drain what arrived between the last poll and the exit
            while not self.events.empty():
                ev = self.events.get_nowait()
                if ev.get("e") == "end":
                    self.end = ev
        return True

    def result(self) -> NotebookResult:
        seconds = self.elapsed()
        name = self.nb.name
        if self.end is None:
            tail = log_tail(self.log_path)
            msg = (f"notebook {name}: its worker ended with status {self.proc.returncode} "
                   f"(in cell {self.cell} of {self.cells})" + (f": {tail}" if tail else ""))
            return NotebookResult(name, False, seconds, msg, self.cell or None, "failed")
        ok = bool(self.end.get("ok"))
        return NotebookResult(name, ok, seconds, "" if ok else str(self.end.get("message", "")),
                              self.end.get("cell"), "ran" if ok else "failed")


def log_tail(path: Path, lines: int = 6) -> str:
    """The last lines of a worker's log, without the kernel's noise."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [ln for ln in text.splitlines() if ln.strip() and not any(n in ln for n in NOISE)]
    return " | ".join(kept[-lines:])


class _Console:
    """Permanent lines through ``log``; on a terminal, one status line updated in place."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.tty = log is print and sys.stdout.isatty()
        self.shown = ""

    def line(self, text: str) -> None:
        self.clear()
        self.log(text)

    def status(self, text: str) -> None:
        if not self.tty or text == self.shown:
            return
        if not text:
            self.clear()
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        sys.stdout.write("\r\033[K  " + text[: max(10, width - 2)])
        sys.stdout.flush()
        self.shown = text

    def clear(self) -> None:
        if self.shown:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
            self.shown = ""


class _Signals:
    """SIGINT/SIGTERM raise :class:`RunInterrupted` once; later signals are ignored until restored."""

    def __init__(self):
        self.hit: int | None = None
        self.raising = True   # False while publishing: a signal then waits until the run is out
        self.previous: dict = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        if self.hit is None:
            self.hit = signum
            if self.raising:
                raise RunInterrupted(signum)

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def discover_notebooks(directory: Path | None = None) -> list[Path]:
    directory = directory or notebooks_dir()
    return sorted(p for p in directory.glob("*.ipynb") if not p.name.startswith("."))


def is_report(notebook: Path) -> bool:
    return any(m in notebook.stem for m in REPORT_MARKERS)


def _resolve_ipd(params: dict) -> None:
    """A patient file given as a path is made absolute (kernels run in ``notebooks/``) and must exist."""
    value = params.get("ipd")
    if not isinstance(value, str) or value == "synthetic":
        return
    path = Path(value).expanduser()
    if not (path.suffix or os.sep in value or path.is_absolute()):
        return  # a bundled dataset name
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.is_file():
        raise ParameterError(f"parameter 'ipd' = {value!r}: no such file ({path})")
    params["ipd"] = str(path.resolve())


def validate_inputs(study: str, parameters: dict) -> None:
    """The ledger (and patient file) checked before any kernel starts.

    :func:`helpers.ledger.load.validate_inputs` collects every problem of every file at once;
    any problem raises one :class:`~helpers.core.errors.InputError` listing them all (file, row,
    field), which the command line prints before exiting 2.
    """
    from ..ledger import load

    load.validate_inputs(study, parameters.get("ipd")).raise_if_any()


def run_notebooks(study: str, run: str, parameters: dict | None = None, *,
                  notebooks: list[Path] | None = None, output_root: Path | None = None,
                  jobs: int = 2, overwrite: bool = False, start_timeout: int = 180,
                  log=print, folder: Path | None = None, wait: bool = False) -> RunResult:
    """Execute the notebooks for one study and parameter set into ``<output_root>/<study>/<run>``.

    Parameters
    ----------
    study, run : str
        The study folder under ``data/published`` and the run's folder name (one safe segment).
    parameters : dict
        Notebook parameters (command-line text or Python values), validated before anything runs.
    notebooks : list of Path
        The notebooks (default: every notebook in ``notebooks/``).
    output_root : Path
        Where run folders go (default ``outputs/``); nothing is written or deleted outside it.
    jobs : int
        Analysis notebooks executed at once.
    overwrite : bool
        Replace an existing run folder, only if it carries the run marker.
    folder : Path
        The folder that holds the run folder (default ``<output_root>/<study>``; a grid passes its
        own folder); must lie under ``output_root``.
    wait : bool
        Wait for a run of the same name to finish instead of refusing.

    Returns
    -------
    RunResult
        ``ok`` only when the run was published complete as ``<run>/``; otherwise ``run_dir`` is
        ``<run>.failed/`` and ``message`` lists what failed.

    Raises
    ------
    ParameterError, helpers.core.errors.InputError, RunError
        Before any kernel starts: a bad name, parameter, ledger, folder or a held lock.
    RunInterrupted
        SIGINT or SIGTERM, after every worker and kernel was stopped and ``<run>.failed/`` written.
    """
    from .params import validate_parameters

    check_segment(study, "study name")
    check_segment(run, "run name")
    notebooks = [Path(nb) for nb in (notebooks or discover_notebooks())]
    if not notebooks:
        raise RunError("no notebooks to run")
    if int(jobs) < 1:
        raise ParameterError(f"--jobs {jobs}: at least 1")
    for var in ("REANALYSIS_LEDGER_ROOT", "REANALYSIS_ROOT"):  # kernels run in notebooks/
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).resolve())
    given = dict(parameters or {})
    params = validate_parameters(given, notebooks)
    _resolve_ipd(params)
    validate_inputs(study, params)

    root = Path(output_root) if output_root else outputs_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(_unwritable(root, exc)) from None
    root = root.resolve()
    parent = Path(folder) if folder is not None else root / study
    parent = _inside(root, parent)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(_unwritable(parent, exc)) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RunError(_unwritable(parent, PermissionError(13, "Permission denied")))
    final = _inside(root, parent / run)
    partial = _inside(root, parent / f".{run}.partial")
    failed = _inside(root, parent / f"{run}.failed")

    with RunLock(parent, run, wait=wait, log=log):
        if final.exists() or final.is_symlink():
            if not overwrite:
                raise RunError(f"{relative_to_root(final)} exists; choose another --run name or "
                               "pass --overwrite")
            if read_marker(final) is None:
                raise RunError(f"{relative_to_root(final)} was not written by reanalysis (it has "
                               f"no {RUN_MARKER}); refusing to replace it with --overwrite: move it "
                               "away or choose another --run name")
        if failed.exists() and read_marker(failed) is None:
            raise RunError(f"{relative_to_root(failed)} was not written by reanalysis (it has no "
                           f"{RUN_MARKER}); move it away or choose another --run name")
        try:
            for stale in (partial, failed):  # ours: the lock is held, the marker checked
                if stale.exists() or stale.is_symlink():
                    _remove(stale, root)
            partial.mkdir()
        except OSError as exc:
            raise RunError(_unwritable(parent, exc)) from None
        with _Signals() as signals:
            result = _execute_run(study, run, params, given, notebooks, root=root,
                                  partial=partial, final=final, failed=failed, jobs=int(jobs),
                                  start_timeout=start_timeout, log=log, signals=signals)
        if signals.hit is not None:  # arrived while publishing: the run was published first
            raise RunInterrupted(signals.hit, result.run_dir)
        return result


def _execute_run(study, run, params, given, notebooks, *, root, partial, final, failed, jobs,
                 start_timeout, log, signals: "_Signals") -> RunResult:
    from .params import declared_parameters

    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    marker = {"study": study, "run": run, "status": "running", "pid": os.getpid(),
              "started_at": started, "parameters": given}
    private: Path | None = None  # kernel connection files and worker logs, removed at the end
    env: dict = {}

    def params_for(nb: Path) -> dict:
        declared = declared_parameters(nb)
        chosen = {k: v for k, v in params.items() if k in declared}
        if "study" in declared:
            chosen["study"] = study
        if "output_dir" in declared:
            chosen["output_dir"] = str(partial)
        return chosen

    # the longest notebooks first (estimated by their code cells), so that the last one to finish
    # is a short one and no worker slot stays idle for long at the end of the batch
    analysis = sorted((nb for nb in notebooks if not is_report(nb)), key=lambda nb: -_cost(nb))
    reports = [nb for nb in notebooks if is_report(nb)]
    total = len(analysis) + len(reports)
    console = _Console(log)
    results: list[NotebookResult] = []
    running: list[_Worker] = []   # every live worker (also held ones), stopped on a signal
    held: dict[str, _Worker] = {}  # started ahead, kernel ready, waiting for release
    t_run = time.perf_counter()
    counter = iter(range(1, total + 1))

    def spawn(nb: Path, release: Path | None = None) -> _Worker:
        w = _Worker(nb, partial / nb.name, params_for(nb), start_timeout=start_timeout, env=env,
                    log_dir=private / "logs", index=next(counter), total=total, release=release)
        running.append(w)
        return w

    def launch(nb: Path) -> _Worker:
        w = held.pop(nb.name, None)
        if w is None:
            return spawn(nb)
        w.release()
        return w

    def run_batch(batch: list[Path], workers: int, ahead: Path | None = None,
                  slots: int | None = None) -> list[NotebookResult]:
        """Run ``batch``, ``workers`` at a time. When nothing of it is left to start and fewer
        than ``slots`` notebooks run, start ``ahead`` (the next report notebook) held: its kernel
        starts and imports on the idle core, and it executes its cells only when launched."""
        pending = list(batch)
        out: list[NotebookResult] = []
        mine: list[_Worker] = []
        while pending or mine:
            while pending and len(mine) < workers:
                mine.append(launch(pending.pop(0)))
            if (ahead is not None and not pending and ahead.name not in held
                    and len(mine) < (slots or workers)):
                held[ahead.name] = spawn(ahead, private / f"release-{ahead.stem}")
            for w in list(mine):
                if w.poll(console.line):
                    running.remove(w)
                    mine.remove(w)
                    res = w.result()
                    out.append(res)
                    if res.ok:
                        console.line(f"  {w.label}  done in {res.seconds:.1f} s")
                    else:
                        console.line(f"  {w.label}  FAILED after {res.seconds:.1f} s: {res.message}")
                elif not console.tty and time.perf_counter() - w.last_beat >= HEARTBEAT_SECONDS:
                    w.last_beat = time.perf_counter()
                    console.line(f"  {w.label}  {w.progress().split(' ', 1)[1]}")
            console.status(" · ".join(w.progress() for w in running))
            time.sleep(0.1)
        return sorted(out, key=lambda r: r.notebook)

    try:
        # the work: a signal raises RunInterrupted anywhere in it
        write_marker(partial, **marker)
        private = Path(tempfile.mkdtemp(prefix=f"reanalysis-{run}-"))
        (private / "runtime").mkdir()
        (private / "logs").mkdir()
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(private / "runtime"))
        log(f"run {study}/{run}: {len(analysis)} analysis notebook(s), {len(reports)} report "
            f"notebook(s), {min(jobs, max(1, len(analysis)))} at a time")
        results += run_batch(analysis, jobs, ahead=reports[0] if reports else None)
        problems = _merge(partial)
        for i, nb in enumerate(reports):  # one at a time, each after the ones before
            results += run_batch([nb], 1, ahead=(reports[i + 1:] or [None])[0], slots=jobs)
        if reports:
            problems += _merge(partial)
        failed_checks, counts = _check_runs(partial)
        report_problem = _finalize(partial, study, run, given, results, t_run, console)
        signals.raising = False
    except RunInterrupted as exc:
        console.clear()
        stopped = kill_tree({w.proc.pid for w in running} | _own_workers())
        for w in running:
            try:
                w.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        name = signal.Signals(exc.signum).name
        lines = [f"interrupted by {name} after {time.perf_counter() - t_run:.0f} s; "
                 f"{len(stopped)} process(es) stopped.",
                 *(f"notebook {w.nb.name} was running (cell {w.cell} of {w.cells})"
                   for w in running if not w.held),
                 *(f"notebook {w.nb.name} had not started (its kernel was starting ahead)"
                   for w in running if w.held),
                 *(f"notebook {r.notebook} had finished ({'ok' if r.ok else 'failed'})"
                   for r in results)]
        done = [asdict(r) for r in results] + [
            asdict(NotebookResult(w.nb.name, False, 0.0 if w.held else w.elapsed(),
                                  "interrupted", w.cell or None,
                                  "not run" if w.held else "interrupted")) for w in running]
        running.clear()
        _publish_failed(partial, failed, root, "\n".join(lines),
                        {**marker, "status": "interrupted", "signal": name, "notebooks": done})
        _drop(private)
        raise RunInterrupted(exc.signum, failed) from None
    except Exception as exc:  # a bug of the runner itself: stop everything, keep what was written
        console.clear()
        kill_tree({w.proc.pid for w in running} | _own_workers())
        message = f"the runner failed: {type(exc).__name__}: {exc}"
        _publish_failed(partial, failed, root, message,
                        {**marker, "status": "incomplete",
                         "notebooks": [asdict(r) for r in results]})
        _drop(private)
        return RunResult(failed, False, results, message)
    _drop(private)

    lines = [r.message for r in results if not r.ok]
    lines += [f"check {c.get('check')} ({c.get('notebook')}, section {c.get('section') or '-'}) "
              f"failed: {c.get('reason')}" for c in failed_checks]
    lines += problems + ([report_problem] if report_problem else [])
    log(f"  checks: {counts.get('ran', 0)} ran, {counts.get('not applicable', 0)} not applicable, "
        f"{counts.get('failed', 0)} failed")
    status = {**marker, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "seconds": round(time.perf_counter() - t_run, 1),
              "notebooks": [asdict(r) for r in results], "check_runs": counts,
              "failed_checks": failed_checks}
    if lines:
        head = (f"run {study}/{run} is incomplete: {sum(not r.ok for r in results)} notebook(s), "
                f"{len(failed_checks)} check(s) and {len(problems) + bool(report_problem)} report "
                "step(s) failed. Everything else was written (findings.csv holds the findings of "
                "what ran).")
        message = "\n".join(lines)
        _publish_failed(partial, failed, root, head + "\n" + message,
                        {**status, "status": "incomplete"})
        return RunResult(failed, False, results, message, failed_checks, counts)
    write_marker(partial, **{**status, "status": "complete"})
    if final.exists() or final.is_symlink():
        old = _inside(root, final.parent / f".{run}.replaced")
        if old.exists() or old.is_symlink():
            _remove(old, root)
        os.replace(final, old)
        os.replace(partial, final)
        _remove(old, root)
    else:
        os.replace(partial, final)
    return RunResult(final, True, results, "", [], counts)


def _cost(notebook: Path) -> int:
    """How long a notebook is expected to run, for the order of the batch: its code cells."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        return sum(c.get("cell_type") == "code" for c in nb.get("cells", []))
    except (OSError, ValueError, AttributeError):
        return 0


def _drop(private: Path | None) -> None:
    if private is not None:
        shutil.rmtree(private, ignore_errors=True)


def _own_workers() -> set[int]:
    """Children of this process that are notebook workers (also ones not yet tracked)."""
    found = set()
    for pid, ppid in _ppid_map().items():
        if ppid != os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"_worker_main" in cmd:
            found.add(pid)
    return found


def _merge(run_dir: Path) -> list[str]:
    from ..core.findings import merge_run_findings

    try:
        merge_run_findings(run_dir)
    except Exception as exc:
        return [f"merging the findings failed: {type(exc).__name__}: {exc}"]
    return []


def _check_runs(run_dir: Path) -> tuple[list[dict], dict]:
    """The failed check runs of ``checks.csv`` and the count per status."""
    import pandas as pd

    path = run_dir / "checks.csv"
    if not path.is_file():
        return [], {}
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "status" not in df:
        return [], {}
    counts = {str(k): int(v) for k, v in df["status"].value_counts().items()}
    failed = df[df["status"] == "failed"]
    keep = [c for c in ("notebook", "section", "family", "check", "reason") if c in failed]
    return failed[keep].to_dict(orient="records"), counts


def _finalize(run_dir: Path, study, run, parameters, results, t_run, console) -> str:
    finalize = _finalize_hook()
    if finalize is None:
        return ""
    console.line("  writing the report (HTML pages, draft letter, manifest)")
    try:
        finalize(run_dir, study=study, run=run, parameters=parameters, results=results,
                 seconds=time.perf_counter() - t_run)
    except Exception as exc:
        return f"building the report failed: {type(exc).__name__}: {exc}"
    return ""


def _publish_failed(partial: Path, failed: Path, root: Path, text: str, marker: dict) -> None:
    """Write FAILED.txt and the marker into the work folder and publish it as ``<run>.failed``."""
    (partial / "FAILED.txt").write_text(text.rstrip() + "\n", encoding="utf-8")
    write_marker(partial, **marker)
    if failed.exists() or failed.is_symlink():
        _remove(failed, root)
    os.replace(partial, failed)


def _finalize_hook():
    """``helpers.report.build.finalize_run`` when the report module is present (HTML, letter, manifest)."""
    if importlib.util.find_spec("helpers.report.build") is None:
        return None
    skip_slow_optional_imports()  # the HTML export loads nbconvert, nbformat and jsonschema
    from ..report import build

    return getattr(build, "finalize_run", None)
