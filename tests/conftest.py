"""Shared fixtures: the tiny made-up ledger and copies of it to break on purpose."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_ROOT = FIXTURES / "ledgers"
REPO = Path(__file__).resolve().parents[1]

# Fixture notebooks are inputs of runner tests, not notebooks for nbval to execute.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def tiny_copy(tmp_path):
    """A writable copy of the tiny ledger: returns (root, study_dir)."""
    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "tiny", root / "tiny")
    return root, root / "tiny"


def edit_cell(csv_path: Path, row_id: str, column: str, value: str) -> int:
    """Set one cell of a ledger CSV; return the file line (header = 1) of the edited row."""
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fieldnames = list(rows[0].keys())
    line = None
    for i, row in enumerate(rows):
        if row["row_id"] == row_id:
            row[column] = value
            line = i + 2
    assert line is not None, f"{row_id} not in {csv_path}"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fieldnames)
        w.writeheader()
        w.writerows(rows)
    return line


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if the runner starts a worker (and so a kernel)."""
    from helpers.run import runner

    started = []

    class Refuse:
        def __init__(self, nb, *a, **k):
            started.append(nb)
            raise AssertionError(f"a worker was started for {nb}")

    monkeypatch.setattr(runner, "_Worker", Refuse)
    return started
