"""With a real patient file as input, the outputs hold aggregates only: no patient id appears in any
file the run writes (executed notebooks, findings, report pages, figures)."""

from __future__ import annotations

from .conftest import ID_PATTERN


def test_patient_ids_appear_in_no_output_file(ncctg_run):
    run_dir = ncctg_run.result.run_dir
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files, f"the run wrote nothing to {run_dir}"
    leaks = {}
    for path in files:
        found = ID_PATTERN.findall(path.read_bytes())
        if found:
            leaks[str(path.relative_to(run_dir))] = sorted({f.decode() for f in found})[:3]
    assert not leaks, f"patient ids in outputs: {leaks}"


def test_the_pattern_would_see_an_id(ncctg_run):
    """The scan is not vacuous: the input file itself is full of ids."""
    assert len(ID_PATTERN.findall(ncctg_run.patient_file.read_bytes())) == len(ncctg_run.ids)
