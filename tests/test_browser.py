"""The HTML report opens offline in headless Chromium: figures render, no script errors, no request
leaves the machine.

Uses Debian's ``chromium`` (installed by ``scripts/install_system_deps.sh``, which ``make test``
runs) through playwright; playwright never downloads a browser here. Without Chromium the test
fails: it must not pass silently on a machine that cannot check the report.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_report import report_run  # noqa: F401  (the shared run fixture)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium with "
                    "`bash scripts/install_system_deps.sh` (make test runs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def open_offline(browser, page_path: Path) -> dict:
    """Load a page with every network request refused; return what it rendered and logged."""
    context = browser.new_context()
    remote: list[str] = []
    context.route("http*://**/*", lambda route: (remote.append(route.request.url), route.abort()))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.goto(page_path.as_uri(), wait_until="load")
    n_plots = page.locator(".plotly-graph-div").count()
    if n_plots:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(d => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg'))",
            timeout=20_000)
    plots = page.eval_on_selector_all(
        ".plotly-graph-div",
        "els => els.map(e => [e.querySelectorAll('svg.main-svg').length, "
        "e.querySelectorAll('svg.main-svg g.trace').length])")
    images = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
    page.wait_for_timeout(100)  # late console errors
    context.close()
    return {"plots": plots, "images": images, "errors": errors, "remote": remote}


def test_chromium_is_installed():
    assert CHROMIUM.exists() or shutil.which("chromium"), \
        "Chromium is missing: run `bash scripts/install_system_deps.sh`"


def test_every_page_renders_offline_without_errors(report_run, browser):  # noqa: F811
    run = report_run["run_dir"]
    pages = sorted(run.glob("*.html"))
    assert {"index.html", "05_report.html", "demo_checks.html", "review_letter.html"} <= {p.name for p in pages}
    seen = {}
    for page in pages:
        got = open_offline(browser, page)
        assert not got["errors"], f"{page.name}: {got['errors']}"
        assert not got["remote"], f"{page.name} asked the network for {got['remote']}"
        assert all(n_svg > 0 for n_svg, _ in got["plots"]), f"{page.name}: a plotly figure has no svg"
        assert all(w > 0 for w in got["images"]), f"{page.name}: an image did not load"
        seen[page.name] = got
    for name in ("05_report.html", "demo_checks.html"):  # interactive figures with data
        assert seen[name]["plots"] and all(traces > 0 for _, traces in seen[name]["plots"]), \
            f"{name}: no plotly figure with data {seen[name]['plots']}"
    # a notebook's own static image (the fixture draws one with matplotlib) still loads offline;
    # the project's notebooks draw each figure once, interactive only
    assert seen["demo_checks.html"]["images"], "demo_checks.html: no static image"
    assert not seen["05_report.html"]["images"], "05_report.html: a figure drawn twice"


def first_screen(browser, page_path: Path, height: int = 1000) -> dict:
    """What a reader sees of a page before scrolling (1280 x ``height``), offline."""
    context = browser.new_context(viewport={"width": 1280, "height": height})
    context.route("http*://**/*", lambda route: route.abort())
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    visible = page.evaluate(
        """h => [...document.querySelectorAll('#judgement h2, #top-concerns li, #glossary dt')]
              .filter(e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < h; })
              .map(e => e.closest('section').id + ':' + e.textContent.trim().split('\\n')[0])""",
        height)
    links = page.eval_on_selector_all("#top-concerns li a.evidence", "els => els.map(e => e.href)")
    wide = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    text = page.locator("#filter-text")
    rows = page.locator("#all-findings tbody tr")
    total = rows.count()
    shown_flagged = page.evaluate(
        "() => [...document.querySelectorAll('#all-findings tbody tr')].filter(r => r.style.display !== 'none').length")
    page.select_option("#filter-verdict", "")
    shown_all = page.evaluate(
        "() => [...document.querySelectorAll('#all-findings tbody tr')].filter(r => r.style.display !== 'none').length")
    text.fill("zzzz-no-such-text")
    shown_none = page.evaluate(
        "() => [...document.querySelectorAll('#all-findings tbody tr')].filter(r => r.style.display !== 'none').length")
    context.close()
    return {"visible": visible, "links": links, "wide": wide, "total": total,
            "flagged": shown_flagged, "all": shown_all, "none": shown_none}


def test_index_first_screen_shows_judgement_concerns_and_glossary(report_run, browser):  # noqa: F811
    run = report_run["run_dir"]
    got = first_screen(browser, run / "index.html")
    visible = " | ".join(got["visible"])
    assert "judgement:Overall judgement:" in visible, visible
    assert sum(v.startswith("top-concerns:") for v in got["visible"]) >= 2, visible
    assert "glossary:impossible" in visible and "glossary:not testable" in visible, visible
    assert got["links"] and all(".html" in h for h in got["links"])
    assert not got["wide"], "index.html overflows the window horizontally"
    assert got["total"] > got["flagged"] > 0 and got["all"] == got["total"] and got["none"] == 0
