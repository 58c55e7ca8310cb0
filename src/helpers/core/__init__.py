"""Shared utilities imported by every other subpackage, importing nothing of helpers outside core:
errors (one-message input errors), paths (where data, notebooks and outputs live), printed (numbers
as printed, printed integers, CI levels), rounding (rounding rules and the intervals they imply),
units (days per time unit), findings (the Finding record, the severity rule, findings files) and
text (the one slug rule of ledger keys and patient-file columns)."""
