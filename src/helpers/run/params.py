"""Notebook parameters: the allowed values, and checks that fail with a clear message.

Each notebook's ``parameters`` cell holds typed, commented defaults; papermill injects overrides
after it. papermill itself only warns about a name the notebook does not declare, so the runner
checks names against :func:`declared_parameters` first, and notebooks check values with
:func:`check_choice` / :func:`resolve_alpha`.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

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
    path = Path(notebook).resolve()
    stat = path.stat()
    return {k: dict(v) for k, v in _declared(str(path), stat.st_mtime_ns, stat.st_size).items()}


@functools.lru_cache(maxsize=64)
def _declared(path: str, mtime_ns: int, size: int) -> dict[str, dict]:
    from .imports import skip_slow_optional_imports

    skip_slow_optional_imports()  # papermill loads nbformat and jsonschema
    import papermill

    info = papermill.inspect_notebook(path)
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


# Parameters the runner sets itself, and the option that sets them.
RESERVED = {
    "study": "use --study NAME",
    "output_dir": "the runner writes each run into <output root>/<study>/<run>/; use --output-root "
                  "DIR for the root and --run NAME for the run folder",
}


@dataclass(frozen=True)
class Spec:
    """The allowed values of a parameter: ``choices``, or a numeric range (open or closed)."""

    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def check(self, name: str, value) -> None:
        if value is None:
            return
        if self.choices:
            check_choice(name, value, self.choices)
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        lo_bad = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        hi_bad = self.high is not None and (value >= self.high if self.open_high else value > self.high)
        if lo_bad or hi_bad:
            left = "(" if self.open_low else "["
            right = ")" if self.open_high else "]"
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            raise ParameterError(f"parameter '{name}' = {value!r} is outside {left}{lo}, {hi}{right}")


# Ranges and choices of the parameters the project's notebooks declare (any other parameter is
# checked for its declared type only).
PARAMETER_SPECS: dict[str, Spec] = {
    "rounding": Spec(choices=ROUNDING_RULES),
    "ci_method": Spec(choices=KM_CI_METHODS),
    "alpha": Spec(low=0, high=1, open_low=True, open_high=True),
    "ci_level": Spec(low=0, high=1, open_low=True, open_high=True),
    "seed": Spec(low=0, high=2**32 - 1),
    "n_sim": Spec(low=1, high=1_000_000),
    "show_denominators": Spec(low=0, high=10_000),
}

_NONE = {"none", "null", "~"}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_INT = re.compile(r"^[+-]?\d+$")


def _split_type(type_name: str | None) -> tuple[str | None, bool]:
    """``"Optional[float]"`` -> ``("float", True)``; ``"int"`` -> ``("int", False)``."""
    if not type_name or type_name == "None":
        return None, True
    text = str(type_name).strip().strip("\"'")
    m = re.fullmatch(r"Optional\[(.+)\]", text)
    if m:
        return m.group(1).strip(), True
    parts = [t.strip() for t in text.split("|")]
    if len(parts) > 1 and "None" in parts:
        rest = [t for t in parts if t != "None"]
        return (rest[0] if len(rest) == 1 else None), True
    return text, False


def coerce_value(name: str, value, type_name: str | None):
    """``value`` (command-line text, or a Python value) as the declared type, or ParameterError.

    Text is parsed by the declared type: ``int`` takes whole numbers only, ``float`` finite
    numbers, ``bool`` true/false (yes/no, 1/0), ``Optional[...]`` also ``none``; a parameter of
    undeclared type is read as a YAML scalar. A Python value must already have the type (an int is
    a float; a bool is not a number).
    """
    base, optional = _split_type(type_name)
    shown = f"{name}: {type_name}" if type_name else name
    if isinstance(value, str) and base != "str":
        text = value.strip()
        if text.lower() in _NONE:
            if optional:
                return None
            raise ParameterError(f"parameter '{name}' = {value!r}: none is not allowed ({shown})")
        if base == "int":
            if not _INT.match(text):
                raise ParameterError(f"parameter '{name}' = {value!r} is not a whole number ({shown})")
            return int(text)
        if base == "float":
            try:
                number = float(text)
            except ValueError:
                raise ParameterError(f"parameter '{name}' = {value!r} is not a number ({shown})") from None
            if not math.isfinite(number):
                raise ParameterError(f"parameter '{name}' = {value!r} is not a finite number ({shown})")
            return number
        if base == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ParameterError(f"parameter '{name}' = {value!r} is not true or false ({shown})")
        import yaml

        parsed = yaml.safe_load(text) if text else ""
        if isinstance(parsed, (dict, list)):
            raise ParameterError(f"parameter '{name}' = {value!r} must be a single value")
        return parsed
    if value is None:
        if optional or base is None:
            return None
        raise ParameterError(f"parameter '{name}' = None is not allowed ({shown})")
    ok = {"str": lambda v: isinstance(v, str),
          "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
          and math.isfinite(v),
          "bool": lambda v: isinstance(v, bool)}.get(base)
    if ok is not None and not ok(value):
        raise ParameterError(f"parameter '{name}' = {value!r} is not of type {base} ({shown})")
    if base == "float" and isinstance(value, int):
        return float(value)
    return value


def validate_parameters(params: Mapping, notebooks: Sequence[str | Path]) -> dict:
    """Every parameter checked before any kernel starts; return the values with their types.

    Refuses a reserved name (:data:`RESERVED`), a name no notebook declares, a value that does not
    parse as the type the notebooks declare, and a value outside :data:`PARAMETER_SPECS`.
    """
    for name in params:
        if name in RESERVED:
            raise ParameterError(f"parameter '{name}' is set by the runner; {RESERVED[name]}")
    declared = [declared_parameters(nb) for nb in notebooks]
    check_parameter_names(params, notebooks)
    out = {}
    for name, value in params.items():
        types = [d[name]["type"] for d in declared if name in d]
        coerced = [coerce_value(name, value, t) for t in dict.fromkeys(types)]
        out[name] = coerced[0]
        spec = PARAMETER_SPECS.get(name)
        if spec is not None:
            spec.check(name, out[name])
    return out
