"""Every README command marked ``<!-- tested -->`` works as written on a fresh clone.

The clone is ``git clone`` of this repository (its committed state) into a temporary folder. It
reuses the project's ``.venv`` through a symlink (its ``pyproject.toml`` is dated before the
venv's stamp so make does not reinstall); ``PYTHONPATH`` and ``REANALYSIS_ROOT`` point the
editable install and the kernels at the clone, so the clone's code, notebooks and ledger run and
its outputs stay in the clone.

Markers in README.md (an HTML comment on the line before a ```bash block):

* ``<!-- tested -->``: the block runs with ``bash -e`` from the clone's root and must exit 0;
* ``<!-- tested: server "<regex>" -->``: a command that keeps running (JupyterLab); it must print
  a line matching the regex, then it is stopped (its process group, by PID).

Besides the blocks: ``make lab`` adds ``--allow-root`` only for root (checked as root and as a
normal user when one exists), ``make reanalysis`` passes ``--overwrite`` only with
``OVERWRITE=1`` and refuses to replace a run otherwise, and ``make test`` leaves the tree clean.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

MARKER = re.compile(r"<!--\s*tested(?::\s*(?P<kind>\w+)\s*\"(?P<arg>[^\"]*)\")?\s*-->\s*\n```bash\n"
                    r"(?P<body>.*?)\n```", re.DOTALL)


def readme_blocks() -> list[dict]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [{"kind": m.group("kind") or "run", "arg": m.group("arg"), "body": m.group("body"),
             "line": text[:m.start()].count("\n") + 1} for m in MARKER.finditer(text)]


def make_clone(into: Path) -> Path:
    clone = into / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    (clone / ".venv").symlink_to(REPO / ".venv")
    os.utime(clone / "pyproject.toml", (0, 0))   # older than .venv/.installed: no reinstall
    return clone


def clone_env(clone: Path) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(clone / "src"), REANALYSIS_ROOT=str(clone),
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("REANALYSIS_LEDGER_ROOT", None)
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"):   # under `make test`
        env.pop(name, None)   # a make in the clone is a newcomer's top-level make, not a sub-make
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return make_clone(tmp_path_factory.mktemp("readme"))


def run(cmd: str, clone: Path, timeout: int = 1800, user: str | None = None):
    argv = ["bash", "-e", "-o", "pipefail", "-c", cmd]
    if user:
        argv = ["runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, cwd=clone, env=clone_env(clone), capture_output=True, text=True,
                          timeout=timeout)


def test_readme_marks_the_commands_it_promises():
    kinds = [(b["kind"], b["body"].split()[0:2]) for b in readme_blocks()]
    bodies = "\n".join(b["body"] for b in readme_blocks())
    assert "make reanalysis" in bodies and "make lab" in bodies and "papermill" in bodies, kinds


@pytest.mark.parametrize("block", [b for b in readme_blocks() if b["kind"] == "run"],
                         ids=lambda b: f"README line {b['line']}")
def test_readme_block_runs_as_written(block, clone):
    res = run(block["body"], clone)
    assert res.returncode == 0, (f"README line {block['line']}:\n{block['body']}\n--- stdout\n"
                                 f"{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-3000:]}")


def _serve(cmd: str, clone: Path, ready: str, user: str | None = None, wait: float = 180) -> str:
    argv = ["bash", "-c", cmd] if not user else ["runuser", "-u", user, "--", "bash", "-c", cmd]
    proc = subprocess.Popen(argv, cwd=clone, env=clone_env(clone), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    try:
        end = time.monotonic() + wait
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < end and proc.poll() is None:
            line = proc.stdout.readline()
            if line:
                seen.append(line)
                if re.search(ready, line):
                    return "".join(seen)
            else:
                time.sleep(0.2)
        rest = proc.stdout.read() or ""
        pytest.fail(f"{cmd!r} did not print {ready!r} (exit {proc.poll()}):\n{''.join(seen)}{rest}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)   # the group we started, by its PID
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.mark.parametrize("block", [b for b in readme_blocks() if b["kind"] == "server"],
                         ids=lambda b: f"README line {b['line']}")
def test_readme_server_starts(block, clone):
    out = _serve(block["body"], clone, block["arg"])
    command = next((ln for ln in out.splitlines() if "jupyter lab" in ln), "")
    assert command, out[:2000]
    allow = "--allow-root" in command
    assert allow == (os.geteuid() == 0), out[:2000]


def _normal_user() -> str | None:
    for p in pwd.getpwall():
        if p.pw_uid >= 1000 and p.pw_uid != 65534 and Path(p.pw_dir).is_dir():
            return p.pw_name
    return None


def test_make_lab_allow_root_only_for_root(tmp_path):
    """``make -n lab``: the JupyterLab command make would run, as root and as a normal user."""
    me = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, check=True)
    line = next(ln for ln in me.stdout.splitlines() if "jupyter lab" in ln)
    assert ("--allow-root" in line) == (os.geteuid() == 0), line
    extra = subprocess.run(["make", "-n", "lab", 'LAB_ARGS=--no-browser --port 9999'], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout
    assert "--no-browser --port 9999" in extra
    user = _normal_user() if os.geteuid() == 0 else None
    if user is None:
        return
    shared = Path(tempfile.mkdtemp(prefix="readme_user_", dir="/tmp"))
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(shared / "c")], check=True)
        shutil.chown(shared, user)
        subprocess.run(["chown", "-R", user, str(shared)], check=True)
        as_user = subprocess.run(["runuser", "-u", user, "--", "make", "-n", "lab", "VENV=.venv"],
                                 cwd=shared / "c", capture_output=True, text=True)
        line = next(ln for ln in as_user.stdout.splitlines() if "jupyter lab" in ln)
        assert "--allow-root" not in line, line
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_make_reanalysis_overwrites_only_when_asked(clone):
    plain = run("make -n reanalysis", clone).stdout
    asked = run("make -n reanalysis OVERWRITE=1", clone).stdout
    assert "--overwrite" not in plain and "--overwrite" in asked
    readme = (REPO / "README.md").read_text()
    assert "OVERWRITE=1" in readme
    # after the README's make reanalysis ran (above), running it again refuses to replace it
    if (clone / "outputs" / "cao2024" / "default").is_dir():
        again = run("make reanalysis", clone, timeout=300)
        assert again.returncode != 0
        assert "overwrite" in (again.stdout + again.stderr).lower()


def test_make_test_leaves_the_tree_clean(clone):
    before = set(run("git status --porcelain --ignored", clone).stdout.splitlines())
    res = run("make test TESTS=tests/test_environment_sync.py NOTEBOOKS=notebooks/05_report.ipynb "
              "PYTEST_ARGS=", clone, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "system packages:" in res.stdout           # says what it checked or installs
    after = set(run("git status --porcelain --ignored", clone).stdout.splitlines())
    assert after == before, sorted(after - before)
    assert not (clone / "outputs" / "cao2024" / "interactive").exists()
