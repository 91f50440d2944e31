"""Helpers for the browser and site tests: the site's pages, a local server, the browser, in-page checks."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "Debian's chromium is needed for the browser tests and was not found at "
    f"{' or '.join(CHROMIUM_CANDIDATES)}. `make test` installs it (tools/ensure_debian_packages.py); "
    "or install it as root: apt-get update && apt-get install -y chromium"
)
# Pages Sphinx adds beside the table of contents.
SPHINX_PAGES = ("genindex", "search")
# Folders of the built site that hold assets, not pages.
ASSET_DIRS = {"_static", "_sources", "_images", "_downloads", "@jupyter-widgets"}


def toc_docnames(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document the table of contents names (root first, then in order)."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    names = [data["root"]]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                names.append(str(node["file"]).removesuffix(".md").removesuffix(".ipynb"))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data)
    return names


def site_pages() -> list[str]:
    """Pages of the site, as paths relative to the HTML root (every toc document, the index and search)."""
    return [f"{name}.html" for name in [*toc_docnames(), *SPHINX_PAGES]]


def built_pages(html_dir: Path) -> list[str]:
    """Every HTML page in a built site (asset folders left out), relative to `html_dir`."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if not ASSET_DIRS & set(rel.parts):
            pages.append(rel.as_posix())
    return pages


def find_chromium() -> str | None:
    """Path of Debian's Chromium, or None."""
    return next((p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def screenshot_path(mode: str, page: str) -> Path:
    """Where the screenshot of `page` in `mode` goes (test-artifacts/screenshots/<mode>/<page>.png)."""
    return SCREENSHOTS / mode / (page.removesuffix(".html").replace("/", "__") + ".png")


# --- Accessibility: axe-core (npm, in _assets/js) ---

AXE = ROOT / "_assets" / "js" / "node_modules" / "axe-core" / "axe.min.js"
AXE_REPORTS = ROOT / "test-artifacts" / "axe"
AXE_BLOCKING = ("serious", "critical")
# (rule, CSS selector of the element) -> why it is left to the theme. Anything else serious or critical fails.
AXE_THEME_LEVEL = {
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
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)}))}));
}"""


def axe_problems(page, mode: str, path: str) -> list[str]:
    """Serious and critical axe-core violations on the open page, theme-level ones left out; the full report is
    written to test-artifacts/axe/<mode>/<page>.json."""
    if not AXE.is_file():
        return ["axe-core is missing: run `make assets` (npm ci in _assets/js)"]
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    report = AXE_REPORTS / mode / (path.removesuffix(".html").replace("/", "__") + ".json")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(violations, indent=1) + "\n")

    def theme_level(rule: str, target: str) -> bool:
        return any(
            rule == r and page.locator(target).first.evaluate(f"e => e.matches('{sel}')") for r, sel in AXE_THEME_LEVEL
        )

    return [
        f"axe-core {v['id']} ({v['impact']}): {v['help']}: {n['target']} {n['html']}"
        for v in violations
        if v["impact"] in AXE_BLOCKING
        for n in v["nodes"]
        if not theme_level(v["id"], n["target"])
    ]


# --- In-page JavaScript (each returns JSON-able data) ---

# Resolves once MathJax has typeset the page (or at once when the page has no math).
WAIT_MATHJAX = """async () => {
  if (!document.querySelector('.math')) return true;
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
  await MathJax.startup.promise;
  return true;
}"""

# Every widget view script has been replaced by a rendered widget.
WIDGETS_RENDERED = """() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  return Array.from(views).every(s => s.parentElement.querySelector('.widget-subarea .jupyter-widgets'));
}"""

MATH_PROBLEMS = """() => {
  const problems = [];
  const math = Array.from(document.querySelectorAll('.bd-article .math'));
  const raw = math.filter(el => !el.querySelector('mjx-container'));
  if (raw.length) problems.push(`${raw.length} of ${math.length} math elements not typeset, e.g. ${raw[0].textContent.slice(0, 80)}`);
  const errors = document.querySelectorAll('mjx-merror');
  if (errors.length) problems.push(`${errors.length} MathJax errors, e.g. ${errors[0].textContent.slice(0, 80)}`);
  const dollars = Array.from(document.querySelectorAll('.bd-article p')).filter(p => /\\$\\$|\\\\\\(|\\\\\\[/.test(p.innerText));
  if (dollars.length) problems.push(`raw TeX left in a paragraph: ${dollars[0].innerText.slice(0, 100)}`);
  return {count: math.length, typeset: document.querySelectorAll('.bd-article mjx-container').length, problems};
}"""

IMAGE_PROBLEMS = """() => Array.from(document.images).flatMap(img => {
  const name = (img.getAttribute('src') || '').startsWith('data:') ? 'an inline image' : img.getAttribute('src');
  const out = [];
  if (!img.complete || img.naturalWidth === 0) out.push(`image not loaded: ${name}`);
  const alt = (img.getAttribute('alt') || '').trim();
  if (!alt || /^\\S+\\.(png|jpe?g|svg|gif)$/i.test(alt) || /_images\\/|jupyter_execute|^data:/.test(alt)) out.push(`image without a real alt text: ${name} (alt=${JSON.stringify(alt)})`);
  return out;
})"""

# Outputs that show a traceback, an error or a warning, and widgets that failed to render.
OUTPUT_PROBLEMS = """() => {
  const bad = /Traceback \\(most recent call last\\)|\\b[A-Z]\\w*(Error|Exception|Warning)\\b:|Error displaying widget|Could not render/;
  const outputs = Array.from(document.querySelectorAll('.cell_output, .output'));
  return outputs.flatMap(el => {
    if (el.matches('.traceback, .stderr, .error')) return [`an ${el.className} output: ${el.innerText.slice(0, 120)}`];
    const m = el.innerText.match(bad);
    return m ? [`an output shows "${m[0]}": ${el.innerText.slice(0, 120)}`] : [];
  });
}"""

# Per explorer (a widget view holding sliders): its sliders' handles and the frame shown.
VISIBLE_FRAME = """(view) => {
  const frames = Array.from(view.querySelectorAll('img.gradflow-frame')).filter(i => i.checkVisibility());
  return frames.map(i => i.getAttribute('src').slice(-200) + '|' + i.alt).join('||');
}"""
