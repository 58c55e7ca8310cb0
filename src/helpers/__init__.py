"""Helpers for the reanalysis notebooks: the ledger of published numbers, the checks run on it,
the patient-level analyses and the run's findings.

One subpackage per stage of the pipeline. ``tests/test_architecture.py`` holds the rules: no import
cycles, no importing another module's private names, ``core`` imports nothing else of helpers, and
nothing in ``cohort`` imports ``checks``.

helpers.core (shared utilities)
    errors (one-message input errors), paths (where data and outputs live), printed (numbers as
    printed), rounding (rounding rules), units (days per time unit), findings (the Finding record
    and severity rule), text (slugs).
helpers.ledger (the published numbers)
    load (load and validate a study), views (the ledger as printed), followup (accrual window and
    cut-off as potential follow-up).
helpers.cohort (patient-level data)
    ipd (schema and validation), datasets (bundled real data), synthetic (cohort simulated from the
    ledger), survival (Kaplan-Meier and Cox matched to R), coxbatch (batched Cox solver),
    montecarlo (many synthetic cohorts).
helpers.checks (checks on the published numbers and against patient-level data)
    arithmetic (counts, percentages, totals, subgroups), appearances (one quantity printed several
    times), means (GRIM/GRIMMER, SD bounds), sampling (exact CIs), design (results against the
    stated design), hazard (hazard ratios), survival (survival medians), patient_level (tables and
    checks against the ledger).
helpers.report (figures and report)
    figures, forest (figures), pages (ranked findings, evidence links, index page), letter (draft
    review letter), export (notebooks to offline HTML), manifest (run manifest), build (assembles a
    run's report).
helpers.run (running the notebooks)
    params (notebook parameters), notebook (start of every notebook), runner (the batch runner
    behind ``make reanalysis``), grid (parameter grids), cli (the ``reanalysis`` command).
"""

__version__ = "0.1.0"
