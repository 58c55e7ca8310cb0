"""Helpers for the reanalysis notebooks: the ledger of published numbers, the checks run on it,
the patient-level analyses and the run's findings.

One module per concern:

* :mod:`helpers.paths`     where the project keeps data and outputs
* :mod:`helpers.errors`    the one-message errors for bad input
* :mod:`helpers.printed`   numbers as printed (text, precision, ``<`` bounds)
* :mod:`helpers.ledger`    loading and validating a study's ledger
* :mod:`helpers.findings`  the ``Finding`` record, severity rule, writing a run's findings
* :mod:`helpers.params`    notebook parameters: validation and defaults
* :mod:`helpers.ipd`       the patient-level file schema and its validation
* :mod:`helpers.units`     days per time unit (one definition)
* :mod:`helpers.runner`    the batch runner behind ``make reanalysis``
"""

__version__ = "0.1.0"
