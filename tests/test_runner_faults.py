"""Fault injection against the runner: run names that would escape the output root, --overwrite of
folders the runner did not write, two runs of one name, SIGINT and SIGTERM (no process left, checked
by PID), a read-only output root, bad parameters (refused before any kernel starts), and a failing
check or notebook (the run completes, is published as ``<run>.failed/``, exits 1).

Uses the small fixture notebooks of tests/fixtures/notebooks (``slow`` imports nothing of the
project, so its kernel is ready in a second or two)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from helpers.run import runner
from helpers.run.cli import main
from helpers.run.grid import run_name
from helpers.run.runner import RUN_MARKER, check_segment
from helpers.core.errors import ParameterError

from conftest import REPO, TINY_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
SLOW = FIXTURES / "slow.ipynb"
DEMO = FIXTURES / "rounding_only.ipynb"
FAILS = FIXTURES / "fails_on_purpose.ipynb"
CHECK_FAILS = FIXTURES / "check_fails.ipynb"
PYTHON = sys.executable

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def tiny_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REANALYSIS_LEDGER_ROOT", str(TINY_ROOT))
    return tmp_path / "outputs"


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its content (a snapshot to compare)."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    full_env = dict(os.environ, REANALYSIS_LEDGER_ROOT=str(TINY_ROOT), **(env or {}))
    return subprocess.Popen([PYTHON, "-m", "helpers.run.cli", "--study", "tiny", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, cwd=str(REPO), **kw)


def wait_for(predicate, timeout: float, what: str):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pid_files(work: Path, count: int):
    files = sorted(work.glob("pids-*.txt")) if work.is_dir() else []
    texts = [f.read_text() for f in files]
    if len(files) >= count and all(t.endswith("\n") for t in texts):
        return [int(p) for t in texts for p in t.split()]
    return None


# ---------------------------------------------------------------------------------------------
# run names and folders
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x", "ABSOLUTE", ".hidden", "x.failed",
                                  "a b", "ab\n", "a\\b"])
def test_unsafe_run_names_are_refused_and_nothing_is_touched(name, tiny_env, tmp_path, capsys,
                                                             no_kernel):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me\n")
    earlier = tiny_env / "tiny" / "earlier"
    earlier.mkdir(parents=True)
    (earlier / "findings.csv").write_text("kept\n")
    (earlier / RUN_MARKER).write_text(json.dumps({"tool": "reanalysis"}))
    if name == "ABSOLUTE":
        name = str(victim)
    before = tree(tmp_path)
    rc = main(["--study", "tiny", "--run", name, "--overwrite", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "run name" in err and any(w in err for w in ("not allowed", "empty", "separator"))
    assert "Traceback" not in err
    assert tree(tmp_path) == before
    assert not no_kernel


@pytest.mark.parametrize("study", ["", "..", "../tiny", "/tmp"])
def test_unsafe_study_names_are_refused(study, tiny_env, capsys, no_kernel):
    rc = main(["--study", study, "--notebooks", str(DEMO), "--output-root", str(tiny_env)])
    assert rc == 2
    assert "study name" in capsys.readouterr().err
    assert not tiny_env.exists() or not any(tiny_env.rglob("*"))


def test_check_segment_accepts_ordinary_names():
    for ok in ("default", "rounding-truncate_alpha-0.05", "ipd-patients", "a.b", "R1"):
        assert check_segment(ok) == ok
    with pytest.raises(ParameterError, match="empty"):
        check_segment("")


def test_patient_file_run_names_are_readable():
    assert run_name({"ipd": "/tmp/x/patients.csv"}) == "ipd-patients"
    assert run_name({"ipd": "data/ipd/my cohort.csv"}) == "ipd-my-cohort"
    assert run_name({"ipd": "synthetic"}) == "ipd-synthetic"
    for params in ({"ipd": "../patients.csv"}, {"alpha": 0.05}, {"rounding": "half_up", "seed": 7}):
        check_segment(run_name(params))


def test_overwrite_refuses_a_folder_without_the_run_marker(tiny_env, capsys, no_kernel):
    foreign = tiny_env / "tiny" / "mine"
    foreign.mkdir(parents=True)
    (foreign / "thesis.docx").write_text("years of work\n")
    rc = main(["--study", "tiny", "--run", "mine", "--overwrite", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env)])
    err = capsys.readouterr().err
    assert rc == 2 and "not written by reanalysis" in err and RUN_MARKER in err
    assert (foreign / "thesis.docx").read_text() == "years of work\n"
    assert not no_kernel


def test_overwrite_replaces_a_marked_run(tiny_env, capsys):
    rc = main(["--study", "tiny", "--run", "again", "--notebooks", str(SLOW), "-p", "seconds", "0",
               "--output-root", str(tiny_env)])
    assert rc == 0, capsys.readouterr().err
    run = tiny_env / "tiny" / "again"
    marker = json.loads((run / RUN_MARKER).read_text())
    assert marker["status"] == "complete" and marker["run"] == "again"
    (run / "stale.txt").write_text("from the first run\n")
    rc = main(["--study", "tiny", "--run", "again", "--overwrite", "--notebooks", str(SLOW),
               "-p", "seconds", "0", "--output-root", str(tiny_env)])
    assert rc == 0, capsys.readouterr().err
    assert (run / RUN_MARKER).is_file() and not (run / "stale.txt").exists()
    assert sorted(p.name for p in (tiny_env / "tiny").iterdir()) == [".again.lock", "again"]


def test_read_only_output_root_gives_one_clear_message(tmp_path):
    root = tmp_path / "outputs"
    root.mkdir()
    args = [PYTHON, "-m", "helpers.run.cli", "--study", "tiny", "--notebooks", str(SLOW),
            "--output-root", str(root)]
    if os.geteuid() == 0:  # root ignores permission bits: a read-only bind mount in a namespace
        if not shutil.which("unshare"):
            pytest.skip("running as root without unshare: cannot make a folder read-only")
        script = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"')
        args = ["unshare", "-m", "sh", "-c", script, str(root), *args]
    else:
        root.chmod(0o555)
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=str(REPO),
                              env=dict(os.environ, REANALYSIS_LEDGER_ROOT=str(TINY_ROOT)))
    finally:
        root.chmod(0o755)
    if "mount" in proc.stderr and proc.returncode != 2:
        pytest.skip(f"cannot mount read-only here: {proc.stderr.strip()}")
    assert proc.returncode == 2, proc.stderr
    assert "cannot write to" in proc.stderr and "--output-root" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list(root.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# parameters: refused before any kernel starts
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, message", [
    ("n_sim", "abc", "'n_sim' = 'abc' is not a whole number"),
    ("n_sim", "0", "outside [1,"),
    ("seed", "1.5", "not a whole number"),
    ("seed", "-1", "outside [0,"),
    ("alpha", "2", "outside (0, 1)"),
    ("alpha", "zero", "not a number"),
    ("ci_level", "95", "outside (0, 1)"),
    ("rounding", "sometimes", "is not one of"),
    ("ci_method", "exact", "is not one of"),
    ("flagged_only", "maybe", "not true or false"),
    ("output_dir", "/tmp/x", "--output-root"),
    ("study", "other", "--study"),
    ("n_simm", "10", "unknown parameter 'n_simm'"),
    ("ipd", "no/such/patients.csv", "no such file"),
])
def test_bad_parameters_are_refused_before_any_kernel_starts(name, value, message, tiny_env,
                                                            capsys, no_kernel):
    t0 = time.perf_counter()
    notebooks = ",".join(str(REPO / "notebooks" / f) for f in
                         ("02_efficacy.ipynb", "03_cox_prognosis.ipynb", "05_report.ipynb"))
    rc = main(["--study", "tiny", "--notebooks", notebooks, "--output-root", str(tiny_env),
               "-p", name, value])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert message in err
    assert not no_kernel and not tiny_env.exists()
    assert time.perf_counter() - t0 < 20


def test_a_bad_patient_file_stops_the_run_before_any_kernel_starts(tiny_env, tmp_path, capsys,
                                                                  no_kernel):
    """The runner acts on the validation report: every problem of the file, one line each."""
    ipd = tmp_path / "patients.csv"
    ipd.write_text("id,os_time,os_event,age\nP1,10,1,61\nP2,3,0,sixty\nP3,-4,1,70\n",
                   encoding="utf-8")
    notebooks = ",".join(str(REPO / "notebooks" / f) for f in ("02_efficacy.ipynb", "05_report.ipynb"))
    rc = main(["--study", "tiny", "--notebooks", notebooks, "--output-root", str(tiny_env),
               "-p", "ipd", str(ipd)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "'sixty' is not a number" in err and "os_time" in err and "patients.csv" in err
    assert "Traceback" not in err
    assert not no_kernel and not tiny_env.exists()


def test_bad_grid_values_are_refused_before_the_first_run(tiny_env, capsys, no_kernel):
    rc = main(["--study", "tiny", "--grid", "seed=1,x", "--notebooks", str(DEMO),
               "--output-root", str(tiny_env)])
    assert rc == 2 and "'seed' = 'x'" in capsys.readouterr().err
    assert not no_kernel


# ---------------------------------------------------------------------------------------------
# two runs of one name
# ---------------------------------------------------------------------------------------------

def test_a_second_run_of_the_same_name_is_refused_a_waiting_one_runs_after_the_first(tmp_path):
    """Three runs of one name share the first one's kernel start: the second (no --wait) is
    refused while the first runs; the third (--wait) says it waits and starts only once the first
    has published. Each run holds its kernel until the test creates its release file, so the order
    does not depend on machine speed and no fixed sleep is waited out."""
    root = tmp_path / "outputs"
    work = root / "tiny" / ".same.partial"
    release1, release3 = tmp_path / "release-1", tmp_path / "release-3"
    first = cli("--run", "same", "--notebooks", str(SLOW), "-p", "seconds", "300",
                "-p", "release", str(release1), "--output-root", str(root))
    third = None
    try:
        first_pids = wait_for(lambda: pid_files(work, 1), 90, "the first run's kernel")
        # the second run of the same name, without --wait: refused, the first untouched
        second = cli("--run", "same", "--notebooks", str(SLOW), "-p", "seconds", "0",
                     "--output-root", str(root))
        out2, err2 = second.communicate(timeout=60)
        assert first.poll() is None, "the first run ended before the second was refused"
        assert second.returncode == 2, err2
        assert "already running" in err2 and f"pid {first.pid}" in err2 and "--wait" in err2
        assert pid_files(work, 1) == first_pids  # the second did not touch the work folder
        # the third, with --wait: waits while the first holds the lock
        third = cli("--run", "same", "--wait", "--overwrite", "--notebooks", str(SLOW),
                    "-p", "seconds", "300", "-p", "release", str(release3),
                    "--output-root", str(root), env={"PYTHONUNBUFFERED": "1"})
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(third.stdout), daemon=True)
        reader.start()
        wait_for(lambda: any("waiting for run 'same'" in ln for ln in lines), 90,
                 "the third run to say it waits")
        assert first.poll() is None   # the first still holds the run
        assert not any("slow  started" in ln for ln in lines)  # the third has not started yet
        release1.touch()
        out1, err1 = first.communicate(timeout=120)
        assert first.returncode == 0, err1
        # the first is published; the third now runs (its own kernel, in a new work folder) and
        # has not replaced it yet
        wait_for(lambda: (pid_files(work, 1) or [None])[0] not in (None, *first_pids), 90,
                 "the third run's kernel")
        run = root / "tiny" / "same"
        assert json.loads((run / RUN_MARKER).read_text())["status"] == "complete"
        executed = json.loads((run / "slow.ipynb").read_text())
        assert executed["metadata"]["papermill"]["parameters"]["release"] == str(release1)
        printed = "".join("".join(o.get("text", "")) for c in executed["cells"]
                          for o in c.get("outputs", []))
        assert printed.strip() == "released"  # it ran to its end, released by the test
        assert not (root / "tiny" / "same.failed").exists()
        # the console of the first: one line per notebook started and done, no transport
        # warning, no progress bar
        assert "[1/1] slow  started" in out1 and "[1/1] slow  done in" in out1
        assert "without encryption" not in out1 + err1 and "Executing" not in out1 + err1
        release3.touch()
        third.wait(timeout=180)
        reader.join(timeout=30)
        err3 = third.stderr.read()
    finally:
        release1.touch()
        release3.touch()
        for proc in (first, third):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert third.returncode == 0, err3
    executed = json.loads((root / "tiny" / "same" / "slow.ipynb").read_text())
    assert executed["metadata"]["papermill"]["parameters"]["release"] == str(release3)
    assert not work.exists() and not (root / "tiny" / "same.failed").exists()


# ---------------------------------------------------------------------------------------------
# SIGINT and SIGTERM
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_every_process_and_leaves_an_interrupted_run(sig, tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for stem in ("slow_a", "slow_b"):
        shutil.copy(SLOW, nbs / f"{stem}.ipynb")
    root = tmp_path / "outputs"
    work = root / "tiny" / ".stopped.partial"
    proc = cli("--run", "stopped", "--jobs", "2", "--notebooks",
               f"{nbs / 'slow_a.ipynb'},{nbs / 'slow_b.ipynb'}", "-p", "seconds", "300",
               "-p", "spawn", "true", "--output-root", str(root))
    try:
        kernel_pids = wait_for(lambda: pid_files(work, 2), 90, "both kernels and their children")
        everyone = runner.descendants({proc.pid})
        assert set(kernel_pids) <= everyone  # kernels, their children, the workers
        assert len(everyone) >= 6
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"interrupted by {signal.Signals(sig).name}" in err
    failed = root / "tiny" / "stopped.failed"
    text = (failed / "FAILED.txt").read_text()
    assert "interrupted" in text and "slow_a.ipynb was running" in text
    assert json.loads((failed / RUN_MARKER).read_text())["status"] == "interrupted"
    assert not work.exists() and not (root / "tiny" / "stopped").exists()
    t_end = time.monotonic() + 10  # SIGKILL is delivered at once; allow the kernel a moment
    while any(alive(p) for p in everyone) and time.monotonic() < t_end:
        time.sleep(0.1)
    assert [p for p in everyone if alive(p)] == []


# ---------------------------------------------------------------------------------------------
# fault isolation at run level
# ---------------------------------------------------------------------------------------------

def test_a_failed_check_completes_the_run_but_marks_it_incomplete(tiny_env, capsys):
    rc = main(["--study", "tiny", "--run", "r", "--notebooks", f"{CHECK_FAILS},{DEMO}",
               "--output-root", str(tiny_env)])
    captured = capsys.readouterr()
    assert rc == 1, captured.err
    failed = tiny_env / "tiny" / "r.failed"
    assert not (tiny_env / "tiny" / "r").exists()
    text = (failed / "FAILED.txt").read_text()
    assert "check fixture_raises (check_fails" in text and "ZeroDivisionError" in text
    checks = pd.read_csv(failed / "checks.csv", dtype=str, keep_default_na=False)
    status = checks.set_index("check")["status"]
    assert status["fixture_raises"] == "failed" and (status == "ran").sum() >= 1
    findings = pd.read_csv(failed / "findings.csv", dtype=str, keep_default_na=False)
    assert {"check_fails", "rounding_only"} <= set(findings["notebook"])
    assert (failed / "index.html").is_file()  # the report was built from what exists
    marker = json.loads((failed / RUN_MARKER).read_text())
    assert marker["status"] == "incomplete" and marker["failed_checks"][0]["check"] == "fixture_raises"
    assert "1 failed" in captured.out


def test_a_failing_notebook_costs_only_its_own_output(tiny_env, capsys):
    rc = main(["--study", "tiny", "--run", "r", "--notebooks", f"{FAILS},{DEMO}", "--jobs", "2",
               "--output-root", str(tiny_env), "-p", "reason", "planted"])
    err = capsys.readouterr().err
    assert rc == 1
    failed = tiny_env / "tiny" / "r.failed"
    text = (failed / "FAILED.txt").read_text()
    assert "fails_on_purpose.ipynb failed in cell" in text and "ValueError: planted" in text
    findings = pd.read_csv(failed / "findings.csv", dtype=str, keep_default_na=False)
    assert set(findings["notebook"]) == {"rounding_only"} and len(findings) > 0
    assert (failed / "rounding_only.ipynb").is_file() and (failed / "index.html").is_file()
    assert "fails_on_purpose.ipynb failed in cell" in err
    assert not (tiny_env / "tiny" / "r").exists()


def test_a_killed_runner_leaves_no_worker_or_kernel_behind(tmp_path):
    """SIGKILL cannot be caught: each worker watches its runner and stops its kernel when it is gone."""
    root = tmp_path / "outputs"
    work = root / "tiny" / ".killed.partial"
    proc = cli("--run", "killed", "--notebooks", str(SLOW), "-p", "seconds", "300",
               "-p", "spawn", "true", "--output-root", str(root))
    try:
        wait_for(lambda: pid_files(work, 1), 90, "the kernel and its child")
        everyone = runner.descendants({proc.pid})
        assert len(everyone) >= 3  # worker, kernel, the kernel's child
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    t_end = time.monotonic() + 15
    while any(alive(p) for p in everyone) and time.monotonic() < t_end:
        time.sleep(0.2)
    assert [p for p in everyone if alive(p)] == []


def test_a_failing_report_step_marks_the_run_incomplete(tiny_env, capsys, monkeypatch):
    def broken_finalize(run_dir, **kw):
        raise RuntimeError("planted failure of the report")

    monkeypatch.setattr(runner, "_finalize_hook", lambda: broken_finalize)
    rc = main(["--study", "tiny", "--run", "r", "--notebooks", str(SLOW), "-p", "seconds", "0",
               "--output-root", str(tiny_env)])
    assert rc == 1
    failed = tiny_env / "tiny" / "r.failed"
    assert "building the report failed: RuntimeError: planted failure" in (failed / "FAILED.txt").read_text()
    assert (failed / "slow.ipynb").is_file() and not (tiny_env / "tiny" / "r").exists()
    assert "FAILED.txt" in capsys.readouterr().err
