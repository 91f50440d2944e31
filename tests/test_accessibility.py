"""Accessibility: axe-core (npm, in `_assets/js`) over every page of the built site, light and dark, in Debian's chromium.

Fails on any serious or critical violation the project controls. Violations of pydata-sphinx-theme's own controls that
the project cannot fix without replacing the theme's templates are listed in THEME_LEVEL with the reason; anything
else, or those rules on any other element, fails. Each page's full axe report is written to
test-artifacts/axe/<mode>/<page>.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_helpers import ROOT, WAIT_MATHJAX, WIDGETS_RENDERED, site_pages
from test_browser import MODES, browser, contexts, site  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.book]

AXE = ROOT / "_assets" / "js" / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "test-artifacts" / "axe"
BLOCKING = ("serious", "critical")
# (rule, CSS selector of the element) -> why it is left to the theme.
THEME_LEVEL = {
    ("label-content-name-mismatch", ".search-button__button"): (
        "pydata-sphinx-theme's search button: aria-label 'Search' while its visible text adds the shortcut "
        "'Ctrl+K' (WCAG 2.5.3; the name still starts with the visible word)"
    ),
    ("label-content-name-mismatch", ".theme-switch-button"): (
        "pydata-sphinx-theme's colour-mode button: aria-label 'Color mode' while its content is icons and the "
        "current mode's hidden text"
    ),
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160), impact: n.impact}))}));
}"""


def _theme_level(rule: str, page, target: str) -> bool:
    return any(rule == r and page.locator(target).first.evaluate(f"e => e.matches('{sel}')") for r, sel in THEME_LEVEL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", site_pages())
def test_axe_finds_no_serious_violation(contexts, site: str, mode: str, path: str) -> None:  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `make assets` (npm ci in _assets/js)", pytrace=False)
    page = contexts(mode).new_page()
    try:
        page.goto(site + path, wait_until="load")
        page.evaluate(WAIT_MATHJAX)
        page.wait_for_function(WIDGETS_RENDERED)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(RUN_AXE)
        report = REPORTS / mode / (path.removesuffix(".html").replace("/", "__") + ".json")
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(violations, indent=1) + "\n")
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']}: {n['target']} {n['html']}"
            for v in violations
            if v["impact"] in BLOCKING
            for n in v["nodes"]
            if not _theme_level(v["id"], page, n["target"])
        ]
    finally:
        page.close()
    assert not problems, f"{path} in {mode} mode, axe-core:\n  " + "\n  ".join(problems[:20])


def test_theme_level_exceptions_have_reasons() -> None:
    assert all(len(reason) > 40 for reason in THEME_LEVEL.values())
    assert Path(AXE).parent.name == "axe-core"
