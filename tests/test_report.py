"""The run's report: ranking and links (unit), the draft letter (unit, made-up findings), the manifest
and the HTML pages of one full run on a made-up ledger (shared with test_browser.py)."""

from __future__ import annotations

import ast
import fcntl
import hashlib
import html as htmllib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.core.findings import Finding, findings_frame
from helpers.report.export import html_exporter, strip_remote_resources
from helpers.report.pages import (broken_evidence_links, evidence_href, place_of, ranked_findings,
                                  section_anchor, verdict_severity_counts)
from helpers.report.build import check_findings_portable
from helpers.report.manifest import package_versions

from conftest import REPO, TINY_ROOT, edit_cell

FIXTURE_NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"


# ---------------------------------------------------------------------------------------------
# One full run shared by the report and browser tests (and by both xdist workers: file lock)
# ---------------------------------------------------------------------------------------------

def make_flawed_tiny(root: Path) -> Path:
    """A copy of the tiny ledger with one minor, one major and one critical problem for the demo
    checks: a percentage that does not match its count, one quantity printed with two values, and a
    p-value that contradicts its CI."""
    shutil.copytree(TINY_ROOT / "tiny", root / "tiny")
    d = root / "tiny"
    edit_cell(d / "counts.csv", "c5", "percent", "20.5")
    edit_cell(d / "counts.csv", "c5", "printed", "40 (20.5%)")
    edit_cell(d / "counts.csv", "c8", "percent", "46.0")
    edit_cell(d / "counts.csv", "c8", "printed", "46.0%")
    edit_cell(d / "hazard_ratios.csv", "h2", "p", "0.004")
    return root


def full_run_notebooks() -> list[Path]:
    return sorted((REPO / "notebooks").glob("*.ipynb")) + [FIXTURE_NOTEBOOKS / "demo_checks.ipynb",
                                                           FIXTURE_NOTEBOOKS / "rounding_only.ipynb"]


def full_run_parameters(notebooks: list[Path]) -> dict:
    """Fewer Monte Carlo cohorts than the default, where a notebook has the parameter (a
    non-default value that must reach the notebook)."""
    from helpers.run.params import declared_parameters

    declared = set().union(*(declared_parameters(nb) for nb in notebooks))
    return {"n_sim": 20} if "n_sim" in declared else {}


def _shared_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def report_run(tmp_path_factory):
    """Every notebook of the project plus the demo checks, run once on the flawed tiny ledger."""
    from helpers.run.runner import run_notebooks

    root = _shared_root(tmp_path_factory) / "shared_report_run"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "done.json"
        if not done.exists():
            ledgers = make_flawed_tiny(root / "ledgers")
            notebooks = full_run_notebooks()
            params = full_run_parameters(notebooks)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("REANALYSIS_LEDGER_ROOT", str(ledgers))
                res = run_notebooks("tiny", "shared", params, notebooks=notebooks,
                                    output_root=root / "outputs", jobs=2, log=lambda _: None)
            done.write_text(json.dumps({"ok": res.ok, "run_dir": str(res.run_dir), "params": params,
                                        "message": res.message, "ledgers": str(ledgers)}))
        info = json.loads(done.read_text())
    if not info["ok"]:
        pytest.fail(f"the shared report run failed: {info['message']}")
    return {"run_dir": Path(info["run_dir"]), "ledgers": Path(info["ledgers"]), "params": info["params"]}


# ---------------------------------------------------------------------------------------------
# Made-up findings for the unit tests
# ---------------------------------------------------------------------------------------------

def f(item, verdict, category, check="percent_matches_count", printed="12 (30.5%)", expected="30.0",
      locators=("Table 9 / Item",), section="Percentages against counts", notebook="01_baseline",
      assumptions=()):
    return Finding(study="made_up", area="baseline", check=check, item=item, verdict=verdict,
                   category=category, locators=locators, printed=printed, expected=expected,
                   explanation=f"recomputed {expected} from {printed}", notebook=notebook,
                   section=section, assumptions=assumptions)


MADE_UP = [
    f("Sex: Male", "consistent", "rounding", printed="7 (35.0%)", expected="35.0"),
    f("ORR", "inconsistent", "contradiction", check="same_quantity_same_value",
      printed="41.3 vs 43.8", expected="one value", locators=("Table 8 / ORR", "Abstract / Results"),
      section="One quantity, one value", notebook="02_efficacy", assumptions=("same_quantity",)),
    f("Age: >=65", "impossible", "statistical", check="p_matches_ci", printed="1.37 (0.91-1.77); p = 0.002",
      expected="p = 0.151", section="p against CI", notebook="03_cox_prognosis"),
    f("Stage: IV", "inconsistent", "rounding", printed="19 (61.3%)", expected="63.3"),
    f("PFS median", "not testable", "statistical", check="km_median_ci", printed="7.7 (6.1-9.9)",
      expected="", section="Survival medians", notebook="02_efficacy"),
]


def test_ranked_findings_most_severe_first_with_links():
    ranked = ranked_findings(findings_frame(MADE_UP))
    assert list(ranked["severity"]) == ["critical", "major", "minor", "none", "none"]
    assert "strength" in ranked.columns
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5]
    assert list(ranked["verdict"][-2:]) == ["not testable", "consistent"]  # impossible > ... > consistent
    assert ranked.loc[0, "evidence"] == "03_cox_prognosis.html#p-against-CI"
    flagged = ranked_findings(findings_frame(MADE_UP), flagged_only=True)
    assert set(flagged["verdict"]) == {"impossible", "inconsistent"}


def test_counts_by_verdict_and_severity_add_up():
    table = verdict_severity_counts(findings_frame(MADE_UP))
    assert table.loc["total", "total"] == len(MADE_UP)
    assert table.loc["impossible", "critical"] == 1 and table.loc["inconsistent", "minor"] == 1
    assert table.loc["consistent", "none"] == 1 and table.loc["not testable", "none"] == 1


@pytest.mark.parametrize("locator, place", [
    ("Table 3 / Age: >=60 / univariable", "Table 3"), ("Results 3.2 ¶1", "Results"),
    ("Abstract / Results", "Abstract"), ("Discussion ¶3", "Discussion"),
    ("Supplementary Table 2 / Row", "Supplementary Table 2"), ("Figure 2A", "Figure 2A")])
def test_place_of_locator(locator, place):
    assert place_of(locator) == place


def test_section_anchor_is_the_id_nbconvert_gives_the_heading():
    headings = ["Percentages against counts", "p-value against its CI (Altman & Bland)",
                "GRIM: means against `n` · é", "One quantity, one value"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"## {h}\n\ntext") for h in headings])
    body, _ = html_exporter().from_notebook_node(nb)
    ids = {htmllib.unescape(i) for i in re.findall(r'<h2[^>]*\bid="([^"]*)"', body)}
    assert {section_anchor(h) for h in headings} == ids
    assert evidence_href("01_baseline", "Percentages against counts") == \
        "01_baseline.html#Percentages-against-counts"
    assert evidence_href("01_baseline", "") == "01_baseline.html"


def test_broken_evidence_links_are_found():
    pages = {"01_baseline": {"heading_ids": {section_anchor("Percentages against counts")}}}
    df = findings_frame(MADE_UP)
    broken = broken_evidence_links(df, pages)
    ok = broken_evidence_links(df[df["notebook"] == "01_baseline"], pages)
    assert ok.empty
    assert set(broken["notebook"]) == {"02_efficacy", "03_cox_prognosis"}


def test_remote_scripts_are_stripped_and_inline_kept():
    out = {"output_type": "display_data", "metadata": {}, "data": {"text/html":
           '<script src="https://cdn.example.org/x.js"></script><script>var a=1;</script><div>fig</div>'}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[out])])
    removed = strip_remote_resources(nb)
    assert removed == ["https://cdn.example.org/x.js"]
    assert nb.cells[0].outputs[0]["data"]["text/html"] == "<script>var a=1;</script><div>fig</div>"


def test_run_findings_come_from_findings_csv_else_the_notebook_files(tmp_path):
    from helpers.report.pages import load_run_findings

    (tmp_path / "findings").mkdir()
    findings_frame(MADE_UP[:2]).to_csv(tmp_path / "findings" / "a.csv", index=False)
    (tmp_path / "findings" / "b.csv").write_text("study,area\n")  # still being written
    with pytest.warns(UserWarning, match="b.csv skipped"):
        assert len(load_run_findings(tmp_path)) == 2
    findings_frame(MADE_UP).to_csv(tmp_path / "findings.csv", index=False)
    assert len(load_run_findings(tmp_path)) == len(MADE_UP)


def test_findings_with_a_machine_path_are_refused(tmp_path):
    run = tmp_path / ".r.partial"
    run.mkdir()
    findings_frame(MADE_UP).to_csv(run / "findings.csv", index=False)
    check_findings_portable(run)  # clean: passes
    bad = list(MADE_UP) + [f("Path", "consistent", "rounding", printed=str(run / "x.csv"))]
    findings_frame(bad).to_csv(run / "findings.csv", index=False)
    with pytest.raises(ValueError, match=r"findings.csv, line \d+: a finding holds the path"):
        check_findings_portable(run)


def test_package_versions_follow_the_pins():
    versions = package_versions()
    assert {"pandas", "lifelines", "papermill", "playwright"} <= set(versions)
    assert versions["pandas"]["matches_pin"] is True


# ---------------------------------------------------------------------------------------------
# One full run: pages, letter, manifest
# ---------------------------------------------------------------------------------------------

def test_run_writes_pages_letter_and_manifest(report_run):
    run = report_run["run_dir"]
    executed = sorted(p.stem for p in run.glob("*.ipynb"))
    assert "05_report" in executed and "demo_checks" in executed
    for stem in executed:
        assert (run / f"{stem}.html").stat().st_size > 0
    for name in ("index.html", "review_letter.md", "review_letter.html", "manifest.json", "findings.csv"):
        assert (run / name).is_file(), name


def test_manifest_hashes_inputs_and_times_notebooks(report_run):
    run, ledgers = report_run["run_dir"], report_run["ledgers"]
    m = json.loads((run / "manifest.json").read_text())
    by_name = {Path(e["path"]).name: e["sha256"] for e in m["inputs"]["ledger"]}
    assert set(by_name) == {p.name for p in (ledgers / "tiny").iterdir()}
    counts = ledgers / "tiny" / "counts.csv"
    assert by_name["counts.csv"] == hashlib.sha256(counts.read_bytes()).hexdigest()
    nb_hashes = {Path(e["path"]).name: e["sha256"] for e in m["inputs"]["notebooks"]}
    assert nb_hashes["05_report.ipynb"] == hashlib.sha256(
        (REPO / "notebooks" / "05_report.ipynb").read_bytes()).hexdigest()
    assert {t["notebook"] for t in m["timing"]["notebooks"]} == {f"{p.stem}.ipynb" for p in run.glob("*.ipynb")}
    assert all(t["seconds"] > 0 for t in m["timing"]["notebooks"])
    assert m["git"]["commit"] is None or re.fullmatch(r"[0-9a-f]{40}", m["git"]["commit"])
    assert isinstance(m["git"]["dirty"], (bool, type(None)))
    assert m["packages"]["nbconvert"]["installed"]
    assert m["parameters"]["per_notebook"]["demo_checks"]["rounding"] == "half_up"
    assert m["parameters"]["given"] == report_run["params"]
    for name, value in report_run["params"].items():  # a non-default value reached papermill
        for stem, params in m["parameters"]["per_notebook"].items():
            if name in params:
                injected = json.loads((run / f"{stem}.ipynb").read_text())["metadata"]["papermill"]
                assert params[name] == value == injected["parameters"][name], stem
    assert {e["kind"] for e in m["inputs"]["ipd"]} <= {"file", "none"} | {
        e["kind"] for e in m["inputs"]["ipd"] if e["kind"].startswith("registered")}
    assert m["outputs"]["findings.csv"] == hashlib.sha256((run / "findings.csv").read_bytes()).hexdigest()


def test_letter_of_the_run_names_its_concerns_in_three_formats(report_run):
    from helpers.report.concerns import group_concerns

    run = report_run["run_dir"]
    findings = pd.read_csv(run / "findings.csv", dtype=str, keep_default_na=False)
    flagged = findings[findings["verdict"].isin(["inconsistent", "implausible", "impossible"])]
    assert len(flagged) >= 3  # the three flaws planted in the ledger copy
    concerns = pd.read_csv(run / "concerns.csv", dtype=str, keep_default_na=False)
    assert len(concerns) == len(group_concerns(findings)) >= 2
    text = (run / "review_letter.txt").read_text()
    md = (run / "review_letter.md").read_text()
    page = (run / "review_letter.html").read_text()
    for title in concerns["title"]:
        assert title in text and title in md and htmllib.escape(title) in page
    assert "\\" not in text and "findings.csv" in text
    m = json.loads((run / "manifest.json").read_text())
    assert m["report"]["judgement"]["overall"] in ("some concerns", "serious concerns")
    assert m["report"]["letter_words"]["opening"] <= 150


def _links(page: Path) -> list[str]:
    """Links of a page; for an exported notebook, those of its findings tables (plotly.js holds
    strings that look like links)."""
    text = page.read_text()
    if page.name != "index.html":
        text = " ".join(re.findall(r'<table class="findings">.*?</table>', text, re.DOTALL))
    return [htmllib.unescape(h) for h in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', text)]


def test_every_evidence_link_opens_an_existing_section(report_run):
    run = report_run["run_dir"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["report"]["broken_evidence_links"] == [], manifest["report"]["broken_evidence_links"]
    for page in ("index.html", "05_report.html"):
        local = [h for h in _links(run / page) if not re.match(r"^[a-z]+:", h) and not h.startswith("#")]
        assert local, page
        ids: dict[str, set[str]] = {}
        for href in local:
            target, _, anchor = href.partition("#")
            assert (run / target).is_file(), f"{page}: link to missing {target}"
            if anchor and target.endswith(".html"):
                if target not in ids:
                    ids[target] = {htmllib.unescape(i) for i in
                                   re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', (run / target).read_text())}
                assert anchor in ids[target], f"{page}: {href} has no target"


def test_index_counts_match_the_findings(report_run):
    run = report_run["run_dir"]
    findings = pd.read_csv(run / "findings.csv", dtype=str, keep_default_na=False)
    index = (run / "index.html").read_text()
    assert f"run <code>shared</code>" in index
    m = json.loads((run / "manifest.json").read_text())
    assert m["report"]["counts"]["findings"] == len(findings)
    for sev in ("critical", "major", "minor"):
        assert m["report"]["counts"][f"severity:{sev}"] == int((findings["severity"] == sev).sum())
