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


def test_the_disclosure_scan_finds_no_patient_value_in_the_run_figures(ncctg_run):
    """Beyond ids: no figure of the run (plotly's base64 arrays, decoded) carries a distinctive
    patient value (a time, an age, a laboratory value), apart from the values released on purpose
    (numbers the paper prints, counts and quantiles of at least 10 patients, Kaplan-Meier medians
    and CI limits). A run before disclosure control drew the Kaplan-Meier curves at the exact event
    times: 89 patient times per notebook in its arrays.

    Numbers in the text are reported by the scan but not asserted here: ledger-only checks print
    derived numbers (e.g. "256-269 events implied") that may equal a patient's time by chance."""
    import pandas as pd

    from helpers.cohort.disclosure import disclosure_scan, permitted_values, published_values
    from helpers.cohort.survival import km_summary
    from helpers.ledger.load import load_ledger

    assert ncctg_run.result.ok, ncctg_run.result
    patients = pd.read_csv(ncctg_run.patient_file)
    km = km_summary(patients)
    allow = (published_values(load_ledger("ncctg_lung")) | permitted_values(patients)
             | {float(v) for v in km[["median", "ci_low", "ci_high"]].to_numpy().ravel()
                if pd.notna(v)})
    hits = disclosure_scan(ncctg_run.result.run_dir, patients, allow=allow)
    leaks = hits[(hits["where"] == "bdata") | (hits["kind"] == "id")]
    assert leaks.empty, leaks.head(20).to_string()
