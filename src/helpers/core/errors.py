"""Errors for bad input: one clear message naming file, row and field."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input. The message names the file, the line (1 = header) and the field."""

    kind = "input"

    def __init__(self, file: str, problem: str, *, line: int | None = None,
                 field: str | None = None, row_id: str | None = None):
        self.file = str(file)
        self.line = line
        self.field = field
        self.row_id = row_id
        self.problem = problem
        where = [self.file]
        if line is not None:
            where.append(f"line {line}" + (f" (row_id {row_id})" if row_id else ""))
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(", ".join(where) + ": " + problem)


class LedgerError(InputError):
    """A study ledger under ``data/published/<study>/`` is malformed."""

    kind = "ledger"


class PatientDataError(InputError):
    """A patient-level file does not follow ``data/ipd/README.md``."""

    kind = "patient data"


class ParameterError(ValueError):
    """A notebook or runner parameter is unknown or has a value outside its choices."""
