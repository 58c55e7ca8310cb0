"""The manifest of a run (``manifest.json``): parameters, sha256 of every input file, package
versions, git commit, wall time per notebook."""

from __future__ import annotations

import ast
import hashlib
import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

from ..core.paths import project_root, relative_to_root

MANIFEST_SCHEMA = 1


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def _file_entry(path: Path) -> dict:
    return {"path": relative_to_root(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}

def pinned_packages() -> dict[str, str]:
    """Package name -> pinned version, from ``pyproject.toml`` (dependencies and extras)."""
    import tomllib

    try:
        data = tomllib.loads((project_root() / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, FileNotFoundError):
        return {}
    project = data.get("project", {})
    specs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        specs += list(extra)
    pins: dict[str, str] = {}
    for spec in specs:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:==\s*([^;,\s]+))?", spec)
        if m:
            pins[m.group(1)] = m.group(2) or ""
    return pins

def package_versions(names: Iterable[str] | None = None) -> dict[str, dict]:
    """Installed version (importlib.metadata) next to the pinned one, for each pinned package."""
    pins = pinned_packages() if names is None else {n: "" for n in names}
    out = {}
    for name, pin in sorted(pins.items(), key=lambda kv: kv[0].lower()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        out[name] = {"pinned": pin or None, "installed": installed,
                     "matches_pin": (installed == pin) if pin else None}
    return out

def git_state(root: Path | None = None) -> dict:
    """The commit of the working tree and whether it has uncommitted changes."""
    root = Path(root) if root else project_root()

    def git(*args) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                  timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "changed": []}
    status = git("status", "--porcelain") or ""
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    return {"commit": commit.strip(), "dirty": bool(changed), "changed": changed[:100]}

def _executed_parameters(nb_path: Path) -> tuple[dict, str]:
    """Effective parameters of an executed notebook (defaults + injected) and its source path."""
    import nbformat

    from ..run.params import declared_parameters

    nb = nbformat.read(nb_path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    source = pm.get("input_path") or ""
    params: dict = {}
    if source and Path(source).is_file():
        for name, spec in declared_parameters(source).items():
            try:
                params[name] = ast.literal_eval(str(spec["default"]))
            except (ValueError, SyntaxError):
                params[name] = spec["default"]
    params.update(pm.get("parameters", {}) or {})
    return params, source

def _ipd_entry(value, notebook_source: str) -> dict:
    """An ``ipd`` parameter: a file (hashed) or the name of a registered source."""
    if value is None or str(value).strip() == "":
        return {"value": value, "kind": "none"}
    text = str(value).strip().strip("'\"")
    candidates = [Path(text)]
    if notebook_source:
        candidates.insert(0, Path(notebook_source).parent / text)
    candidates.append(project_root() / text)
    for cand in candidates:
        if cand.is_file():
            return {"value": text, "kind": "file", **_file_entry(cand.resolve())}
    return {"value": text, "kind": "registered source (generated or bundled, see helpers.cohort.ipd)"}

def build_manifest(run_dir: str | Path, *, study: str, run: str, parameters: dict,
                   results: Sequence, seconds: float) -> dict:
    """The manifest of a run: what went in (hashes), with what (versions, commit), and how long."""
    from ..ledger.load import load_ledger

    run_dir = Path(run_dir)
    ledger = load_ledger(study)
    ledger_files = sorted(p for p in ledger.path.iterdir() if p.is_file())
    notebooks, per_notebook, ipd = [], {}, []
    for nb_path in sorted(run_dir.glob("*.ipynb")):
        params, source = _executed_parameters(nb_path)
        params.pop("output_dir", None)  # the run folder itself
        per_notebook[nb_path.stem] = params
        if source and Path(source).is_file():
            notebooks.append(_file_entry(Path(source)))
        if "ipd" in params:
            entry = _ipd_entry(params["ipd"], source)
            if entry not in ipd:
                ipd.append(entry)
    code_dir = Path(__file__).resolve().parents[1]  # the helpers package, every subpackage
    outputs = {}
    for name in ("findings.csv", "findings.json"):
        if (run_dir / name).is_file():
            outputs[name] = sha256_file(run_dir / name)
    assets = {}
    from .export import PLOTLY_JS, output_root_of

    shared = output_root_of(run_dir) / PLOTLY_JS
    if shared.is_file():  # the pages load it by this relative path
        assets[PLOTLY_JS] = {"path": Path(os.path.relpath(shared, run_dir.resolve())).as_posix(),
                             "sha256": sha256_file(shared), "bytes": shared.stat().st_size}
    return {
        "schema": MANIFEST_SCHEMA,
        "study": study,
        "run": run,
        "ledger_path": relative_to_root(ledger.path),
        "parameters": {"given": dict(parameters), "per_notebook": per_notebook},
        "inputs": {
            "ledger": [_file_entry(p) for p in ledger_files],
            "notebooks": notebooks,
            "ipd": ipd,
            "code": [_file_entry(p) for p in sorted(code_dir.rglob("*.py"))],
        },
        "outputs": outputs,
        "shared_assets": assets,
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_state(),
        "timing": {
            "total_seconds": round(float(seconds), 3),
            "notebooks": [{"notebook": r.notebook, "ok": bool(r.ok), "seconds": round(float(r.seconds), 3)}
                          for r in results],
        },
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
    }
