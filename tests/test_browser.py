"""The built website in a real browser (Debian's chromium driven by playwright), page by page, light and dark.

The site is served on 127.0.0.1 and every other request is blocked, so a page that needs the network fails.
On every page of the table of contents (plus the index and search pages), in both themes: no console errors and no
failed requests, math typeset, every image loaded and described, no output showing a traceback or an error, every
widget rendered, every static explorer's slider changes the frame it shows, and axe-core (the accessibility engine)
finds no serious or critical violation the project controls (theme-level ones: browser_helpers.AXE_THEME_LEVEL, each
with its reason). A screenshot of each page is saved under test-artifacts/screenshots/ (the whole page in light mode,
the first screen in dark mode: a full-page screenshot costs about as much as loading the page). Search finds
"sigmoid".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_helpers import (
    AXE_THEME_LEVEL,
    IMAGE_PROBLEMS,
    MATH_PROBLEMS,
    OUTPUT_PROBLEMS,
    VISIBLE_FRAME,
    WAIT_MATHJAX,
    WIDGETS_RENDERED,
    axe_problems,
    screenshot_path,
    serve,
    site_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.book]

MODES = ("light", "dark")
PAGES = site_pages()
TIMEOUT_MS = 30_000
CHAPTER = re.compile(r"chapters/\d+_")  # numbered chapters: each has an explorer


@pytest.fixture(scope="session")
def site(html_dir: Path) -> Iterator[str]:
    """Base URL of the built site served on 127.0.0.1."""
    with serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def contexts(browser, site: str):
    """A browser context per colour mode (created on first use), every non-local request blocked."""
    made = {}

    def get(mode: str):
        if mode not in made:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=mode)
            # pydata-sphinx-theme reads the reader's choice from localStorage before the first paint.
            ctx.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
            # Only non-local requests go through the route (intercepting every request slows each page down).
            ctx.route(lambda url: not url.startswith(site), lambda route: route.abort())
            ctx.set_default_timeout(TIMEOUT_MS)
            made[mode] = ctx
        return made[mode]

    yield get
    for ctx in made.values():
        ctx.close()


def _open(contexts, site: str, mode: str, path: str):
    """Open `path` in `mode`; returns (page, problems list that keeps filling with errors and failed requests)."""
    page = contexts(mode).new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught JavaScript error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed ({req.failure}): {req.url}"))
    page.on("response", lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)
    response = page.goto(site + path, wait_until="load")
    assert response is not None and response.ok, f"{path} did not load: {response and response.status}"
    return page, problems


def _check_explorers(page) -> tuple[int, list[str]]:
    """Move every slider of every static explorer one step; the frame shown must change. Returns (sliders, problems)."""
    problems = []
    views = page.locator(".cell_output .widget-subarea").filter(has=page.locator(".noUi-handle"))
    moved = 0
    for v in range(views.count()):
        view = views.nth(v)
        if view.locator("img.gradflow-frame").count() == 0:
            continue  # not an explorer
        handles = view.locator(".noUi-handle")
        for h in range(handles.count()):
            handle = handles.nth(h)
            handle.scroll_into_view_if_needed()
            before = view.evaluate(VISIBLE_FRAME)
            if not before:
                problems.append(f"explorer {v + 1}: no frame is shown")
                break
            at_end = float(handle.get_attribute("aria-valuenow")) >= float(handle.get_attribute("aria-valuemax"))
            handle.focus()
            page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
            try:
                page.wait_for_function(
                    "([view, before]) => (" + VISIBLE_FRAME + ")(view) !== before",
                    arg=[view.element_handle(), before],
                    timeout=5_000,
                )
                moved += 1
            except Exception:
                problems.append(f"explorer {v + 1}, slider {h + 1}: moving it did not change the frame shown")
    return moved, problems


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", PAGES)
def test_page(contexts, site: str, mode: str, path: str) -> None:
    page, problems = _open(contexts, site, mode, path)
    try:
        theme = page.evaluate("document.documentElement.dataset.theme")
        assert theme == mode, f"{path}: asked for the {mode} theme, the page shows {theme!r}"
        assert page.evaluate(WAIT_MATHJAX), f"{path}: the page has math but MathJax never started"
        page.wait_for_function(WIDGETS_RENDERED)
        math = page.evaluate(MATH_PROBLEMS)
        problems += math["problems"]
        problems += page.evaluate(IMAGE_PROBLEMS)
        problems += page.evaluate(OUTPUT_PROBLEMS)
        shot = screenshot_path(mode, path)
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=mode == "light")
        problems += axe_problems(page, mode, path)
        moved, explorer_problems = _check_explorers(page)
        problems += explorer_problems
        if CHAPTER.match(path) and moved == 0:
            problems.append("a chapter needs an explorer, and no explorer slider was found that changes the frame")
    finally:
        page.close()
    assert not problems, f"{path} in {mode} mode:\n  " + "\n  ".join(dict.fromkeys(problems))


def test_search_finds_sigmoid(contexts, site: str) -> None:
    page, problems = _open(contexts, site, "light", "search.html?q=sigmoid")
    try:
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(state="attached", timeout=TIMEOUT_MS)
        count = results.count()
        titles = results.locator("a").first.inner_text()
    finally:
        page.close()
    assert count > 0, "searching for 'sigmoid' returned nothing"
    assert not problems, "search page:\n  " + "\n  ".join(problems)
    assert titles, "the first search result has no title"


def test_theme_switch_button_changes_mode(contexts, site: str) -> None:
    """The theme button in the page header switches between light and dark (the reader's path to dark mode)."""
    page, _ = _open(contexts, site, "light", PAGES[0])
    try:
        button = page.locator(".theme-switch-button").first
        seen = {page.evaluate("document.documentElement.dataset.theme")}
        for _ in range(3):  # the button cycles light -> dark -> auto
            button.click()
            seen.add(page.evaluate("document.documentElement.dataset.theme"))
    finally:
        page.close()
    assert {"light", "dark"} <= seen, f"the theme button only showed {seen}"


def test_theme_level_accessibility_exceptions_say_why() -> None:
    assert all(len(reason) > 40 for reason in AXE_THEME_LEVEL.values())
