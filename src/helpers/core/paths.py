"""Where the project keeps its data and outputs.

The project root is found from this file when the package is installed in editable mode (the way
``make`` installs it), otherwise from the environment variable ``REANALYSIS_ROOT`` or the current
working directory and its parents.
"""

from __future__ import annotations

import os
from pathlib import Path

# A notebook whose name contains one of these is a report notebook: the runner executes it after
# the analysis notebooks, and the index page links to it as the summary.
REPORT_MARKERS = ("report", "summary")


def _looks_like_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "data" / "published").is_dir()


def project_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml`` and ``data/published``)."""
    env = os.environ.get("REANALYSIS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if _looks_like_root(parent):
            return parent
    cwd = Path.cwd().resolve()
    for parent in (cwd, *cwd.parents):
        if _looks_like_root(parent):
            return parent
    raise FileNotFoundError(
        "cannot find the project root (a folder with pyproject.toml and data/published); "
        "set REANALYSIS_ROOT"
    )


def published_root() -> Path:
    """``data/published``: one folder per study (``REANALYSIS_LEDGER_ROOT`` overrides, for tests)."""
    env = os.environ.get("REANALYSIS_LEDGER_ROOT")
    if env:
        return Path(env).resolve()
    return project_root() / "data" / "published"


def outputs_root() -> Path:
    """``outputs``: generated, never committed."""
    return project_root() / "outputs"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def relative_to_root(path: Path | str) -> str:
    """A path as the reviewer sees it in messages: relative to the project root when possible."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(project_root()))
    except ValueError:
        return str(p)
