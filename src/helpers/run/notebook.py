"""What every notebook does first and last: check parameters, load the ledger, set up display,
collect findings, write them.

Usage in a notebook::

    nb = start("01_baseline", study=study, output_dir=output_dir, rounding=rounding, alpha=alpha, seed=seed)
    ...
    nb.log.add(findings, section="Percentages against counts")
    nb.finish()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.findings import FindingsLog, audit
from ..ledger.load import Ledger, load_ledger
from .params import ROUNDING_RULES, check_choice, check_range, resolve_alpha


def configure_display() -> None:
    """Plotly figures that stay interactive in JupyterLab *and* embed plotly.js in exported HTML
    (works offline); wide pandas tables."""
    import plotly.io as pio

    pio.renderers.default = "plotly_mimetype+notebook"
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 80)


@dataclass
class NotebookContext:
    name: str
    ledger: Ledger
    log: FindingsLog
    output_dir: Path
    rounding: str
    alpha: float
    seed: int

    @property
    def study(self) -> str:
        return self.ledger.study

    def finish(self) -> pd.DataFrame:
        """Write this notebook's findings and return the audit summary (counts by check and verdict)."""
        path = self.log.write(self.output_dir)
        frame = self.log.frame()
        print(f"{len(frame)} findings written to {path}")
        return audit(frame)


def start(name: str, *, study: str, output_dir: str, rounding: str = "auto", alpha=None,
          seed: int = 0) -> NotebookContext:
    """Validate the common parameters, load the ledger and return the notebook's context."""
    check_choice("rounding", rounding, ROUNDING_RULES)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    ledger = load_ledger(study)
    configure_display()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return NotebookContext(name=name, ledger=ledger, log=FindingsLog(study, name), output_dir=out,
                           rounding=rounding, alpha=resolve_alpha(alpha, ledger), seed=int(seed))
