"""What a reviewer reads at the end of a run: assembles the HTML report, the draft letter and the
manifest.

The runner (:mod:`helpers.run.runner`) calls :func:`finalize_run` once every notebook of a run has
succeeded and the findings were merged into ``<run_dir>/findings.csv``. It writes, next to the
executed notebooks:

* ``<notebook>.html`` for every executed notebook (:mod:`helpers.report.export`);
* ``index.html``: the overall judgement with its INSPECT-SR domains, the top concerns with a link to
  their evidence and the glossary of verdicts on the first screen; every concern; every finding in a
  table filtered in the browser; counts, parameters and links to every page
  (:mod:`helpers.report.pages`);
* ``review_letter.txt``, ``review_letter.md`` and ``review_letter.html``: the letter
  (:mod:`helpers.report.letter`), built from the concerns (:mod:`helpers.report.concerns`) and the
  judgement (:mod:`helpers.report.judgement`);
* ``concerns.csv``: the ranked concerns;
* ``manifest.json`` (:mod:`helpers.report.manifest`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..core.findings import SEVERITIES, VERDICTS
from ..core.paths import project_root, relative_to_root
from ..ledger.load import load_ledger
from .export import export_notebooks_html
from .concerns import concerns_frame
from .letter import build_critique, letter_blocks, render, word_counts
from .manifest import build_manifest
from .pages import broken_evidence_links, load_run_findings, write_index

# --------------------------------------------------------------------------------------------
# Guard: findings.csv must not depend on where or when the run happened
# --------------------------------------------------------------------------------------------

def check_findings_portable(run_dir: str | Path) -> None:
    """Stop when ``findings.csv`` holds an absolute path of this machine (the run folder, the
    project root, the home folder): it would make two identical runs differ byte for byte."""
    run_dir = Path(run_dir)
    path = run_dir / "findings.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{relative_to_root(path)} was not written")
    text = path.read_text(encoding="utf-8")
    suspects = {str(run_dir.resolve()), str(project_root()) + "/", str(Path.home()) + "/"}
    suspects |= {run_dir.name} if run_dir.name.endswith(".partial") else set()
    for s in sorted(suspects, key=len, reverse=True):
        if s and len(s) > 1 and s in text:
            line = next(i for i, row in enumerate(text.splitlines(), start=1) if s in row)
            raise ValueError(f"{relative_to_root(path)}, line {line}: a finding holds the path "
                             f"'{s}'; findings must not depend on where the run is written")


# --------------------------------------------------------------------------------------------
# The runner's hook
# --------------------------------------------------------------------------------------------

def finalize_run(run_dir: str | Path, *, study: str, run: str, parameters: dict, results: Sequence,
                 seconds: float) -> dict:
    """Write the HTML report, the draft letter and the manifest of a finished run.

    Called by :func:`helpers.run.runner.run_notebooks` with the (still partial) run folder; raises on
    any failure so that the runner marks the run failed. Returns the manifest.
    """
    run_dir = Path(run_dir)
    check_findings_portable(run_dir)
    findings = load_run_findings(run_dir)
    ledger = load_ledger(study)
    pages = export_notebooks_html(run_dir)
    broken = broken_evidence_links(findings, pages)
    critique = build_critique(findings, ledger=ledger, run=run, parameters=parameters)
    blocks = letter_blocks(critique)
    for fmt, suffix in (("text", "txt"), ("markdown", "md"), ("html", "html")):
        (run_dir / f"review_letter.{suffix}").write_text(render(blocks, fmt), encoding="utf-8")
    concerns_frame(critique.concerns).to_csv(run_dir / "concerns.csv", index=False,
                                             lineterminator="\n")
    manifest = build_manifest(run_dir, study=study, run=run, parameters=parameters,
                              results=results, seconds=seconds)
    manifest["report"] = {
        "pages": {k: v["page"] for k, v in pages.items()},
        "removed_remote_resources": sorted({u for v in pages.values() for u in v["removed_remote"]}),
        "broken_evidence_links": broken.to_dict(orient="records"),
        "counts": {"findings": int(len(findings)),
                   **{f"verdict:{v}": int((findings["verdict"] == v).sum()) for v in VERDICTS},
                   **{f"severity:{s}": int((findings["severity"] == s).sum()) for s in SEVERITIES}},
        "judgement": {"overall": critique.judgement.overall,
                      "domains": critique.judgement.frame().to_dict(orient="records")},
        "concerns": [{"rank": c.rank, "title": c.title, "severity": c.severity,
                      "strength": c.strength, "findings": c.n_findings}
                     for c in critique.concerns],
        "letter_words": word_counts(blocks),
    }
    title = str(ledger.meta.get("title") or study)
    write_index(run_dir, study=study, run=run, title=title, manifest=manifest, findings=findings,
                pages=pages, broken=broken, critique=critique)
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False,
                                                      sort_keys=False, default=str) + "\n",
                                           encoding="utf-8")
    return manifest
