"""What every notebook does first and last: check parameters, load the ledger, set up display,
run the registered checks of each section, collect findings, write them.

Usage in a notebook::

    nb = start("01_baseline", study=study, output_dir=output_dir, rounding=rounding, alpha=alpha, seed=seed)
    nb.run("arithmetic", scope=("baseline.",), section="Percentages against counts")
    ...
    nb.finish()

``nb.run`` runs every registered check of a family (:mod:`helpers.checks.registry`) on the
section's scope, logs the findings and the check runs (ran / not applicable / failed), and
returns the findings as a table. A check that fails costs only its own output: the failure is
logged, shown, and makes the run exit non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..checks import registry
from ..checks.registry import Context, Settings
from ..core.findings import FindingsLog, audit, findings_frame
from ..ledger.load import Ledger, load_ledger
from .params import ROUNDING_RULES, check_choice, check_range, resolve_alpha


def configure_display() -> None:
    """Wide pandas tables. Figures are shown by :func:`helpers.report.figures.show` as plotly's
    JSON output only (JupyterLab renders it; the HTML export draws it with the one shared
    plotly.js), so no notebook loads or carries its own copy of plotly.js."""
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 200)


@dataclass
class NotebookContext:
    name: str
    ledger: Ledger
    log: FindingsLog
    output_dir: Path
    rounding: str
    alpha: float | None
    seed: int
    settings: Settings = field(default_factory=Settings)
    patients: object = None
    _base: Context | None = None

    @property
    def study(self) -> str:
        return self.ledger.study

    @property
    def context(self) -> Context:
        """The checks' context for the whole ledger (its rounding policy is resolved once)."""
        if self._base is None:
            self._base = Context(self.ledger, self.settings, None, self.patients)
        return self._base

    @property
    def policy(self):
        """The study's rounding policy, the one every check and figure reads."""
        return self.context.policy

    @property
    def rule(self) -> str:
        return self.context.rule

    def use_patients(self, patients) -> None:
        """Give the patient-level data (a PatientData) to the checks that read them."""
        self.patients = patients
        self.context.patients = patients

    def run(self, family: str | Sequence[str], scope: str | Sequence[str] | None = None, *,
            section: str = "", names: Sequence[str] | None = None,
            exclude: Sequence[str] = (), show: bool = True) -> pd.DataFrame:
        """Run every registered check of ``family`` on ``scope``; log and return the findings."""
        ctx = self.context.with_scope(scope)
        runs = registry.run_family(family, ctx, names=names, exclude=exclude)
        self.log.add_runs([r.as_row() for r in runs], section=section)
        frame = self.log.add(registry.findings_of(runs), section=section)
        status = registry.runs_frame(runs)
        skipped = status[status["status"] != "ran"]
        if show and len(skipped):
            from IPython.display import display
            display(skipped.style.hide(axis="index").set_caption(
                "Checks of this section that did not run"))
        return frame

    def findings(self, section: str | None = None) -> pd.DataFrame:
        """The findings logged so far (of one section, when given)."""
        frame = self.log.frame()
        return frame if section is None else frame[frame["section"] == section]

    def finish(self) -> pd.DataFrame:
        """Write this notebook's findings and check runs; return the audit summary."""
        path = self.log.write(self.output_dir)
        frame = self.log.frame()
        runs = self.log.runs_frame()
        failed = runs[runs["status"] == "failed"]
        na = runs[runs["status"] == "not applicable"]
        print(f"{len(frame)} findings written to {path.name}; {len(runs)} check runs "
              f"({len(na)} not applicable, {len(failed)} failed)")
        for _, r in failed.iterrows():
            print(f"FAILED check {r['check']} ({r['section']}): {r['reason']}")
        return audit(frame)


def start(name: str, *, study: str, output_dir: str, rounding: str = "auto", alpha=None,
          seed: int = 0, ci_method: str = "log", **extra) -> NotebookContext:
    """Validate the common parameters, load the ledger and return the notebook's context."""
    check_choice("rounding", rounding, ROUNDING_RULES)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    ledger = load_ledger(study)
    configure_display()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    resolved = resolve_alpha(alpha, ledger)
    settings = Settings(rounding=rounding, alpha=resolved, seed=int(seed), ci_method=ci_method,
                        extra=dict(extra))
    return NotebookContext(name=name, ledger=ledger, log=FindingsLog(study, name), output_dir=out,
                           rounding=rounding, alpha=resolved, seed=int(seed), settings=settings)


__all__ = ["NotebookContext", "configure_display", "findings_frame", "start"]
