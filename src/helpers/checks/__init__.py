"""Checks that judge printed numbers and return findings: arithmetic (counts, percentages, totals,
subgroups), appearances (one quantity printed several times), means (GRIM/GRIMMER, SD bounds),
sampling (exact CIs), design (results against the stated design), hazard (hazard ratios), survival
(survival medians) and patient_level (tables and checks of patient-level data against the ledger)."""
