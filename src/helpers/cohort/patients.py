"""Patient-level data as a notebook uses it: :class:`PatientData` and :func:`load_patient_data`.

``load_patient_data`` takes ``"synthetic"`` (a cohort simulated from the ledger), a bundled dataset
name (``"ncctg_lung"``) or a CSV path, loads it through :func:`helpers.cohort.ipd.load_ipd` (which
validates it) and says what the data can and cannot support. A synthetic cohort is marked
``synthetic``: the check registry refuses it to every check that reads patient data (comparing a
cohort simulated from the ledger with the ledger proves nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .disclosure import MIN_CELL, show_count
from .tables import ae_columns


@dataclass
class PatientData:
    """Patient-level data with what it can and cannot support.

    Attributes
    ----------
    data : DataFrame
        One row per patient (schema of ``data/ipd/README.md``); never shown.
    source : str
        ``"synthetic"``, a bundled dataset name, or the file name of a CSV.
    synthetic : bool
        Simulated from the ledger.
    endpoints, has_response, has_adverse_events
        What the sections of the notebooks can use.
    """

    data: pd.DataFrame = field(repr=False)
    source: str
    synthetic: bool
    endpoints: list[str]
    has_response: bool
    has_adverse_events: bool

    @property
    def n(self) -> int:
        return len(self.data)

    def describe(self, min_cell: int = MIN_CELL) -> str:
        """One line: the source, its kind, the number of patients (``<10`` below ``min_cell``) and
        the sections it cannot feed."""
        lacks = [what for what, ok in (("PFS", "PFS" in self.endpoints),
                                       ("OS", "OS" in self.endpoints),
                                       ("best response", self.has_response),
                                       ("adverse events", self.has_adverse_events)) if not ok]
        kind = "synthetic cohort simulated from the ledger" if self.synthetic else "real patient data"
        text = f"{self.source} ({kind}): {show_count(self.n, min_cell)} patients"
        return text + (f"; no {', no '.join(lacks)} -- those sections are skipped" if lacks else "")


def load_patient_data(ipd: str, ledger=None, seed: int = 0) -> PatientData:
    """Load ``ipd``: ``"synthetic"``, a bundled dataset name such as ``"ncctg_lung"``, or a CSV
    path (a relative path is tried from the working directory, then from the project root).

    Parameters
    ----------
    ipd : str
    ledger : Ledger, optional
        Needed for the synthetic cohort (simulated from it).
    seed : int
        Seed of the synthetic cohort.

    Returns
    -------
    PatientData

    Example
    -------
    >>> load_patient_data("ncctg_lung").describe()          # doctest: +SKIP
    'ncctg_lung (real patient data): 228 patients; no PFS, no best response, no adverse events ...'
    """
    from ..core.paths import project_root
    from .ipd import endpoints_available, load_ipd, registered_sources

    source = str(ipd)
    if source not in registered_sources():
        path = Path(source)
        if not path.is_absolute() and not path.exists() and (project_root() / path).exists():
            path = project_root() / path
        data = load_ipd(str(path))
        shown = path.name
    else:
        data = load_ipd(source, ledger=ledger, seed=seed)
        shown = source
    return PatientData(data=data, source=shown, synthetic=(source == "synthetic"),
                       endpoints=endpoints_available(data),
                       has_response="best_response" in data.columns,
                       has_adverse_events=bool(ae_columns(data)))


__all__ = ["PatientData", "load_patient_data"]
