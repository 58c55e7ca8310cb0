"""Errors for bad input: one clear message naming file, row and field.

Validation is lazy: a loader collects every :class:`Problem` of its input (one per problem, each
naming file, line, row id and field) in a :class:`ValidationReport`, then raises them together as
one :class:`InputError` whose message has one line per problem (:meth:`ValidationReport.error`).
A single problem reads exactly as a single error always did.

Example
-------
>>> report = ValidationReport([Problem("counts.csv", "required field is empty", line=3,
...                                    field="locator", row_id="c2", kind="ledger")])
>>> print(report)
counts.csv, line 3 (row_id c2), field 'locator': required field is empty
>>> isinstance(report.error(), LedgerError)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


def _where(file: str, line: int | None, field: str | None, row_id: str | None) -> str:
    where = [str(file)]
    if line is not None:
        where.append(f"line {line}" + (f" (row_id {row_id})" if row_id else ""))
    elif row_id:
        where.append(f"row_id {row_id}")
    if field is not None:
        where.append(f"field '{field}'")
    return ", ".join(where)


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
        self.problems = [Problem(self.file, problem, line=line, field=field, row_id=row_id,
                                 kind=self.kind)]
        super().__init__(_where(self.file, line, field, row_id) + ": " + problem)

    def __reduce__(self):
        # picklable (worker processes send errors back): rebuilt from its problems
        return (_rebuild, (type(self), list(self.problems)))


class LedgerError(InputError):
    """A study ledger under ``data/published/<study>/`` is malformed."""

    kind = "ledger"


class PatientDataError(InputError):
    """A patient-level file does not follow ``data/ipd/README.md``."""

    kind = "patient data"


class ParameterError(ValueError):
    """A notebook or runner parameter is unknown or has a value outside its choices."""


@dataclass(frozen=True)
class Problem:
    """One problem of one input file: where (file, line, row id, field) and what."""

    file: str
    problem: str
    line: int | None = None
    field: str | None = None
    row_id: str | None = None
    kind: str = "input"           # "ledger", "patient data" or "input"

    @property
    def message(self) -> str:
        return _where(self.file, self.line, self.field, self.row_id) + ": " + self.problem

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "line": self.line, "row_id": self.row_id,
                "field": self.field, "problem": self.problem, "message": self.message}


def _rebuild(cls, problems):
    if issubclass(cls, _Many):
        return cls(problems)
    p = problems[0]
    return cls(p.file, p.problem, line=p.line, field=p.field, row_id=p.row_id)


class _Many:
    """Mixin: an InputError carrying every problem of a validation, one line each."""

    def _init_many(self, problems: list[Problem]) -> None:
        first = problems[0]
        self.file, self.line, self.field = first.file, first.line, first.field
        self.row_id, self.problem = first.row_id, first.problem
        self.problems = list(problems)
        ValueError.__init__(self, "\n".join(p.message for p in problems))

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.problems]


class LedgerErrors(_Many, LedgerError):
    """Every problem found in a ledger (each a line of the message; ``.problems`` lists them)."""

    def __init__(self, problems: list[Problem]):
        self._init_many(problems)


class PatientDataErrors(_Many, PatientDataError):
    """Every problem found in a patient file (each a line of the message)."""

    def __init__(self, problems: list[Problem]):
        self._init_many(problems)


class InputErrors(_Many, InputError):
    """Every problem of several inputs (a ledger and a patient file) at once."""

    def __init__(self, problems: list[Problem]):
        self._init_many(problems)


class ValidationReport(list):
    """The problems of a validation, one :class:`Problem` each (a list; empty means valid).

    ``str(report)`` gives one message per line; :meth:`error` the exception to raise (a
    :class:`LedgerError` when every problem is the ledger's, a :class:`PatientDataError` when every
    problem is the patient file's, else an :class:`InputError`); :meth:`raise_if_any` raises it.
    """

    def __init__(self, problems: Iterable[Problem] = ()):
        super().__init__(problems)

    @property
    def ok(self) -> bool:
        return not self

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self]

    def __str__(self) -> str:
        return "\n".join(self.messages)

    def error(self) -> InputError | None:
        if not self:
            return None
        kinds = {p.kind for p in self}
        if kinds == {"ledger"}:
            return LedgerErrors(list(self))
        if kinds == {"patient data"}:
            return PatientDataErrors(list(self))
        return InputErrors(list(self))

    def raise_if_any(self) -> None:
        if self:
            raise self.error()
