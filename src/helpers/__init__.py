"""Helpers for the reanalysis notebooks: the ledger of published numbers, the checks run on it,
the patient-level analyses and the run's findings.

One module per concern.

Foundation
    paths (where data and outputs live), errors (one-message input errors), printed (numbers as
    printed), ledger (load and validate a study), findings (the Finding record and severity rule),
    params (notebook parameters), notebook (start/finish of every notebook), views (the ledger as
    printed), units (days per time unit), runner (the batch runner behind ``make reanalysis``).
Checks on published numbers only
    rounding, arithmetic (counts, percentages, totals, subgroups), appearances (one quantity printed
    several times), means (GRIM/GRIMMER, SD bounds), sampling (exact CIs), design_checks (results
    against the stated design), hazard (hazard ratios), survival_checks (survival medians).
Patient-level data
    ipd (schema and validation), synthetic (cohort simulated from the ledger), datasets (bundled real
    data), survival (Kaplan-Meier and Cox matched to R), patient_level (tables and checks against the
    ledger), coxbatch (batched Cox solver), montecarlo (many synthetic cohorts).
Figures and report
    plots, forest, report (HTML, manifest), letter (draft review letter), grid (parameter grids).
"""

__version__ = "0.1.0"
