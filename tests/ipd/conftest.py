"""One run of every notebook on the NCCTG reference study, shared by the clean-paper and privacy tests.

The patient file is the NCCTG lung cohort written to a CSV with distinctive ids
(``PT-000001-ZX`` ...), as a reviewer would receive it; the run is what a reviewer would start:
``reanalysis --study ncctg_lung -p ipd <that file>``.

Under pytest-xdist (``make test`` runs ``-n 2 --dist loadfile``) the two test files may land on
different workers; the first worker to get here executes the run and the other waits for it and
reuses it (a lock file in the directory the workers share), so the notebooks run once per session.
"""

from __future__ import annotations

import os
import pickle
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.cohort.datasets import load_ncctg_lung
from helpers.run.runner import RunResult, discover_notebooks, run_notebooks

ID_PATTERN = re.compile(rb"PT-\d{6}-ZX")
WAIT_SECONDS = 900


@dataclass
class NcctgRun:
    result: RunResult
    patient_file: Path
    ids: list[str]
    log: list[str]


def _execute(shared: Path) -> NcctgRun:
    df = load_ncctg_lung()
    df["id"] = [f"PT-{i:06d}-ZX" for i in range(1, len(df) + 1)]
    patient_file = shared / "ncctg_patients.csv"
    df.to_csv(patient_file, index=False)
    log: list[str] = []
    try:
        result = run_notebooks("ncctg_lung", "clean", {"ipd": str(patient_file)},
                               notebooks=discover_notebooks(), output_root=shared / "runs",
                               jobs=2, log=log.append)
    except Exception as exc:  # the run could not start: report it through the result
        result = RunResult(shared / "runs", False, [], f"{type(exc).__name__}: {exc}")
    return NcctgRun(result, patient_file, list(df["id"]), log)


@pytest.fixture(scope="session")
def ncctg_run(tmp_path_factory, worker_id) -> NcctgRun:
    if worker_id == "master":  # no xdist
        return _execute(tmp_path_factory.mktemp("ncctg_ipd"))
    shared = tmp_path_factory.getbasetemp().parent / "ncctg_ipd_shared"
    shared.mkdir(exist_ok=True)
    done = shared / "run.pickle"
    try:
        os.close(os.open(shared / "run.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another worker runs the notebooks: wait for its result
        deadline = time.monotonic() + WAIT_SECONDS
        while not done.exists():
            if time.monotonic() > deadline:
                pytest.fail(f"no NCCTG run appeared in {shared} within {WAIT_SECONDS} s")
            time.sleep(0.5)
        time.sleep(0.2)
        return pickle.loads(done.read_bytes())
    run = _execute(shared)
    tmp = shared / "run.pickle.tmp"
    tmp.write_bytes(pickle.dumps(run))
    tmp.rename(done)
    return run
