"""Notebook parameters: the allowed values, and checks that fail with a clear message.

Each notebook's ``parameters`` cell holds typed, commented defaults; papermill injects overrides
after it. papermill itself only warns about a name the notebook does not declare, so the runner
checks names against :func:`declared_parameters` first, and notebooks check values with
:func:`check_choice` / :func:`resolve_alpha`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from ..core.errors import ParameterError

ROUNDING_RULES = ("auto", "half_up", "half_even", "truncate")
KM_CI_METHODS = ("log", "log-log", "plain")


def check_choice(name: str, value, choices: Sequence) -> None:
    """Stop with a message naming the parameter when ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ParameterError(f"parameter '{name}' = {value!r} is not one of {list(choices)}")


def check_range(name: str, value, low=None, high=None, *, integer: bool = False) -> None:
    """Stop when a numeric parameter is outside [low, high] (or not an integer when required)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"parameter '{name}' = {value!r} is not a number")
    if integer and int(value) != value:
        raise ParameterError(f"parameter '{name}' = {value!r} is not a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"parameter '{name}' = {value!r} is outside [{low}, {high}]")


def resolve_alpha(alpha, ledger) -> float:
    """The significance level to use: the parameter if given, else the one the study states."""
    if alpha is None:
        return ledger.alpha
    check_range("alpha", alpha, 0, 1)
    if not 0 < alpha < 1:
        raise ParameterError(f"parameter 'alpha' = {alpha!r} is outside (0, 1)")
    return float(alpha)


def declared_parameters(notebook: str | Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (name -> type, default, help)."""
    import papermill

    info = papermill.inspect_notebook(str(notebook))
    return {name: {"type": spec.get("inferred_type_name"), "default": spec.get("default"),
                   "help": spec.get("help")} for name, spec in info.items()}


def check_parameter_names(params: Iterable[str], notebooks: Sequence[str | Path]) -> None:
    """Refuse a parameter name that no notebook declares (papermill would only warn)."""
    declared: set[str] = set()
    for nb in notebooks:
        declared |= set(declared_parameters(nb))
    unknown = sorted(set(params) - declared)
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise ParameterError(
            f"unknown parameter {names}: no notebook declares it "
            f"(declared: {', '.join(sorted(declared))})")
