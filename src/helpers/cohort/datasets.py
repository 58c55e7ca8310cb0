"""Bundled real patient-level datasets, registered as IPD sources (``helpers.cohort.ipd.load_ipd``).

``"ncctg_lung"``: the North Central Cancer Treatment Group advanced lung cancer cohort
(Loprinzi et al., J Clin Oncol 1994;12:601-607), 228 patients, as shipped by lifelines
(``lifelines.datasets.load_lung()``) and by R (``survival::lung``). Mapped to the schema of
``data/ipd/README.md``:

==============  =======================================================================
column          from
==============  =======================================================================
id              row number (1-228) as text
os_time         ``time``, in days (the study's ``time_unit: days``)
os_event        1 = died: R codes ``status`` 1 = censored / 2 = dead; lifelines ships it
                already as 0/1. Both codings are accepted here.
sex             ``Male`` (1) / ``Female`` (2)
age, ph.ecog, ph.karno, pat.karno, meal.cal, wt.loss   unchanged (R's names; may be missing)
==============  =======================================================================

There is no progression-free survival, no response and no adverse-event column. Missing covariate
values stay missing; Cox models leave those patients out (complete-case, as R's ``na.omit``).
"""

from __future__ import annotations

import pandas as pd

from .ipd import register_source

NCCTG_COVARIATES = ("age", "sex", "ph.ecog", "ph.karno", "pat.karno", "meal.cal", "wt.loss")


def ncctg_lung_raw() -> pd.DataFrame:
    """The NCCTG lung data exactly as lifelines ships it."""
    from lifelines.datasets import load_lung

    return load_lung()


def load_ncctg_lung(**_ignored) -> pd.DataFrame:
    """The NCCTG lung cohort in the patient-level schema (see the module docstring)."""
    raw = ncctg_lung_raw().reset_index(drop=True)
    status = raw["status"].astype(int)
    codes = set(status.unique())
    if codes <= {0, 1}:
        event = status
    elif codes <= {1, 2}:
        event = (status == 2).astype(int)
    else:  # pragma: no cover - a different lifelines release would have to change the data
        raise ValueError(f"unexpected status codes in load_lung(): {sorted(codes)}")
    sex = raw["sex"].map({1: "Male", 2: "Female"})
    if sex.isna().any():  # pragma: no cover
        raise ValueError("unexpected sex codes in load_lung()")
    df = pd.DataFrame({
        "id": [str(i) for i in range(1, len(raw) + 1)],
        "os_time": raw["time"].astype(float),
        "os_event": event.astype(int),
        "sex": sex.astype(object),
    })
    for col in NCCTG_COVARIATES:
        if col != "sex":
            df[col] = pd.to_numeric(raw[col], errors="coerce").astype(float)
    return df[["id", "os_time", "os_event", *NCCTG_COVARIATES]]


register_source("ncctg_lung", load_ncctg_lung)

__all__ = ["load_ncctg_lung", "ncctg_lung_raw", "NCCTG_COVARIATES"]
