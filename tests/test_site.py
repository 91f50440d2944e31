"""Static checks of the built website (no browser, no network).

Links and anchors resolve inside the site; third-party code is served from the site itself (no CDN); every image
(explorer frames included) has a real alt text; no output shows a traceback or an error; each chapter's notebook is
offered for download; the execution-status page names the versions the build used; launch and repository buttons
follow the one `repository: url:` setting; the site ships a wheel of `gradflow`, and every notebook it offers (chapters
and graded exercises) starts with the cell that installs it from there (`html: baseurl:`).
"""

from __future__ import annotations

import html.parser
import importlib.util
import json
import re
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from browser_helpers import ROOT, built_pages, site_pages, toc_docnames

CHAPTER = re.compile(r"^chapters/\d+_")
# Attributes that load something into the page: these must never leave the site.
LOADING = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"), ("embed", "src")}
# Signs of a URL nobody meant to publish (Jupyter Book and sphinx-thebe defaults, template text).
PLACEHOLDERS = re.compile(
    r"example\.(com|org)|binder-examples/|executablebooks/jupyter-book|your[-_]?(org|user|repo)", re.I
)
CDN = re.compile(r"https?://|//(cdn|unpkg|cdnjs)", re.I)


def _load_extension():
    spec = importlib.util.spec_from_file_location("gradflow_book", ROOT / "_ext" / "gradflow_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Page(html.parser.HTMLParser):
    """Collects a page's links, ids, images and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()
        self.images: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []  # (attributes, body)
        self._script: dict[str, str] | None = None
        self._body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and a.get("rel") == "canonical":
            return  # names the published address of the page (`html: baseurl:`); loads nothing
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        for attr in ("href", "src"):
            if attr in a:
                self.links.append((tag, attr, a[attr]))
        if tag == "img":
            self.images.append(a)
        if tag == "script":
            self._script, self._body = a, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._body.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._body)))
            self._script = None


@cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _widget_html(page: _Page) -> list[str]:
    """The HTML strings held by the page's widget state (explorer frames live there)."""
    found = []
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/vnd.jupyter.widget-state+json":
            for model in json.loads(body)["state"].values():
                value = model.get("state", {}).get("value")
                if model.get("model_name") == "HTMLModel" and isinstance(value, str):
                    found.append(value)
    return found


def _bad_alt(alt: str | None) -> bool:
    alt = (alt or "").strip()
    return not alt or bool(re.fullmatch(r"\S+\.(png|jpe?g|svg|gif)", alt, re.I)) or "_images/" in alt


@pytest.fixture(scope="session")
def pages(html_dir: Path) -> dict[str, Path]:
    return {rel: html_dir / rel for rel in built_pages(html_dir)}


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def repository_url() -> str:
    return ((_config().get("repository") or {}).get("url") or "").strip()


@pytest.fixture(scope="session")
def site_url() -> str:
    return ((_config().get("html") or {}).get("baseurl") or "").strip()


def _chapters() -> list[str]:
    return [doc for doc in toc_docnames() if CHAPTER.match(doc)]


# --- The built site -------------------------------------------------------------------------------------------------


@pytest.mark.book
def test_every_page_is_in_the_toc_and_browser_tested(pages: dict[str, Path]) -> None:
    """The browser test visits the toc's pages: the site must hold exactly those (no stray or missing page)."""
    built, expected = set(pages), set(site_pages())
    assert not expected - built, f"pages in _toc.yml that were not built: {sorted(expected - built)}"
    assert not built - expected, (
        f"built pages that are not in _toc.yml (and escape the browser test): {sorted(built - expected)}"
    )


@pytest.mark.book
def test_links_and_anchors_resolve(html_dir: Path, pages: dict[str, Path]) -> None:
    problems = []
    for rel, path in pages.items():
        for tag, attr, url in _parse(path).links:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if (tag, attr) in LOADING:
                    problems.append(f"{rel}: <{tag} {attr}> loads from the network: {url}")
                elif PLACEHOLDERS.search(url):
                    problems.append(f"{rel}: placeholder URL {url}")
                continue
            if parts.scheme in ("mailto", "data", "javascript") or url in ("", "#"):
                continue
            if parts.scheme:
                problems.append(f"{rel}: unexpected URL scheme {url}")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{rel}: broken link <{tag} {attr}={url!r}> (no {target})")
                continue
            if not target.is_relative_to(html_dir.resolve()):
                problems.append(f"{rel}: link leaves the site: {url}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _parse(target).ids:
                problems.append(f"{rel}: link to a missing anchor: {url}")
    assert not problems, f"{len(problems)} link problems:\n  " + "\n  ".join(problems[:60])


@pytest.mark.book
def test_no_script_from_a_cdn(pages: dict[str, Path]) -> None:
    """Every script is the site's own: no script loads (or names) a URL outside the site."""
    problems = []
    for rel, path in pages.items():
        for attrs, body in _parse(path).scripts:
            if attrs.get("type", "text/javascript") not in ("text/javascript", "module", "application/javascript"):
                continue  # data (widget state, config JSON), not code
            if CDN.search(attrs.get("src", "")):
                problems.append(f"{rel}: <script src={attrs['src']}>")
            elif m := CDN.search(body):
                problems.append(f"{rel}: an inline script names {body[max(0, m.start() - 30) : m.end() + 50]!r}")
    assert not problems, "scripts that reach outside the site:\n  " + "\n  ".join(problems)


@pytest.mark.book
def test_offline_assets_present(html_dir: Path) -> None:
    hint = "run `make assets` (needs npm): the site would fall back to CDNs"
    for asset in ("mathjax/tex-chtml.js", "requirejs/require.js", "html-manager/embed-amd.js"):
        assert (html_dir / "_static" / "vendor" / asset).is_file(), f"_static/vendor/{asset} missing: {hint}"
    depths = {str(Path(p).parent) for p in site_pages()}
    for depth in depths:
        fonts = html_dir / depth / "@jupyter-widgets" / "html-manager" / "dist"
        assert list(fonts.glob("*.woff2")), f"the widget icon fonts are missing at {fonts}: {hint}"


@pytest.mark.book
def test_every_image_has_alt_text(pages: dict[str, Path]) -> None:
    problems = []
    for rel, path in pages.items():
        page = _parse(path)
        for img in page.images:
            if _bad_alt(img.get("alt")):
                problems.append(f"{rel}: <img src={img.get('src', '')[:60]}> alt={img.get('alt')!r}")
        for fragment in _widget_html(page):
            for img in _parse_fragment(fragment).images:
                if _bad_alt(img.get("alt")):
                    problems.append(f"{rel}: an explorer frame has alt={img.get('alt')!r}")
    assert not problems, "images without a real description (alt text):\n  " + "\n  ".join(problems)


def _parse_fragment(fragment: str) -> _Page:
    page = _Page()
    page.feed(fragment)
    return page


@pytest.mark.book
def test_no_output_shows_an_error(pages: dict[str, Path]) -> None:
    pattern = re.compile(r'class="output (traceback|stderr|error)\b|Traceback \(most recent call last\)')
    problems = []
    for rel, path in pages.items():
        text = path.read_text(encoding="utf-8")
        problems += [f"{rel}: {text[m.start() : m.start() + 160]!r}" for m in pattern.finditer(text)]
    assert not problems, "outputs showing an error, a traceback or stderr:\n  " + "\n  ".join(problems)


@pytest.mark.book
def test_each_chapter_offers_its_notebook(html_dir: Path) -> None:
    chapters = _chapters()
    assert chapters, "no numbered chapters in _toc.yml"
    for doc in chapters:
        notebook = html_dir / "_sources" / f"{doc}.ipynb"
        assert notebook.is_file(), f"{doc}: no downloadable notebook at {notebook}"
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        assert nb.get("nbformat") == 4 and any(c["cell_type"] == "code" for c in nb["cells"]), (
            f"{notebook} is not a notebook"
        )
        hrefs = [url for tag, _, url in _parse(html_dir / f"{doc}.html").links if tag == "a"]
        assert any(url.endswith(f"_sources/{doc}.ipynb") for url in hrefs), f"{doc}.html has no .ipynb download link"
        assert any(url.endswith(f"_sources/{doc}.md") for url in hrefs), f"{doc}.html has no .md download link"


@pytest.mark.book
def test_execution_status_lists_chapters_and_versions(html_dir: Path) -> None:
    text = (html_dir / "chapters" / "execution_status.html").read_text(encoding="utf-8")
    for doc in _chapters():
        assert f"{Path(doc).name}.html" in text, f"the execution-status table has no row for {doc}"
    for package in ("jax", "optax", "jupyter-book"):
        row = re.search(rf"<td><p>{re.escape(package)}</p></td>\s*<td><p>([^<]+)</p></td>", text)
        assert row, f"the execution-status page does not give the version of {package}"
        assert row.group(1) == metadata.version(package), (
            f"{package}: page says {row.group(1)}, the build used {metadata.version(package)}"
        )


@pytest.mark.book
def test_bibliography_has_entries(html_dir: Path) -> None:
    text = (html_dir / "chapters" / "bibliography.html").read_text(encoding="utf-8")
    entries = re.findall(r'<div class="citation" id="[^"]+"|<dt class="label" id="[^"]+"', text)
    assert len(entries) >= 3, f"the bibliography page lists {len(entries)} entries"


@pytest.mark.book
def test_buttons_follow_repository_url(pages: dict[str, Path], repository_url: str, site_url: str) -> None:
    """No URL: no launch or repository buttons (no placeholder links). With one: Binder and Colab on each chapter.

    A GitHub Pages site address (`html: baseurl:`) without `repository: url:` gives each chapter a Colab button."""
    github = _load_extension().github_repository(repository_url, site_url)
    for rel, path in pages.items():
        text = path.read_text(encoding="utf-8")
        if not repository_url and github and CHAPTER.match(rel):
            hrefs = [url for tag, _, url in _parse(path).links if tag == "a"]
            assert any(url.startswith("https://colab.research.google.com/github/") for url in hrefs), f"{rel}: no Colab"
        elif not repository_url and not github:
            assert "launch-buttons" not in text, f"{rel}: launch buttons shown while repository.url is empty"
            assert "repository-button" not in text and "issues-button" not in text, (
                f"{rel}: a repository button without a URL"
            )
            assert "x-thebe-config" not in text, (
                f"{rel}: sphinx-thebe's config (a placeholder Binder repo) is on the page"
            )
        elif CHAPTER.match(rel):
            hrefs = [url for tag, _, url in _parse(path).links if tag == "a"]
            assert any(url.startswith("https://mybinder.org/v2/") for url in hrefs), f"{rel}: no Binder link"
            assert any(
                url.startswith("https://colab.research.google.com/github/") and url.endswith(".ipynb") for url in hrefs
            ), f"{rel}: no Colab link to an .ipynb"


@pytest.mark.book
def test_the_site_ships_the_wheel(html_dir: Path) -> None:
    wheel = html_dir / "_static" / "wheels" / _load_extension().wheel_name()
    assert wheel.is_file(), f"the site has no wheel of gradflow at {wheel}"
    _check_wheel(wheel)


def _offered_notebooks(html_dir: Path) -> list[Path]:
    chapters = [html_dir / "_sources" / f"{doc}.ipynb" for doc in _chapters()]
    graded = sorted((html_dir / "_downloads").rglob("ch[0-9][0-9].ipynb"))
    return chapters + graded


@pytest.mark.book
def test_every_offered_notebook_starts_with_the_install_cell(
    html_dir: Path, repository_url: str, site_url: str
) -> None:
    ext = _load_extension()
    expected = ext.install_cell(site_url, repository_url)["source"]
    notebooks = _offered_notebooks(html_dir)
    graded = [p for p in notebooks if "_downloads" in p.parts]
    assert len(graded) == len(list((ROOT / "exercises" / "student").glob("ch*.ipynb"))), "a graded notebook is missing"
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"])
        assert first == expected, f"{path.relative_to(html_dir)}: the first cell is not the install cell:\n{first}"
        tagged = [c for c in cells if ext.INSTALL_CELL_ID in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.relative_to(html_dir)}: {len(tagged)} install cells"


# --- The extension's helpers (no build needed) ----------------------------------------------------------------------


def test_repository_url_drives_the_buttons() -> None:
    ext = _load_extension()
    off = ext.repository_buttons({"repository_url": "", "launch_buttons": {"binderhub_url": "x", "thebe": True}})
    assert not off["use_repository_button"] and not off["use_issues_button"]
    assert not any(off["launch_buttons"][k] for k in ("binderhub_url", "colab_url", "jupyterhub_url", "thebe"))
    on = ext.repository_buttons({"repository_url": "https://github.com/org/gradflow", "launch_buttons": {}})
    assert on["use_repository_button"] and on["use_issues_button"]
    assert on["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert on["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    own = ext.repository_buttons(
        {
            "repository_url": "https://github.com/org/gradflow",
            "launch_buttons": {"binderhub_url": "https://hub.example"},
        }
    )
    assert own["launch_buttons"]["binderhub_url"] == "https://hub.example", "a hub named in _config.yml must be kept"


def test_colab_url_points_at_the_built_notebook() -> None:
    ext = _load_extension()
    url = ext.colab_notebook_url("https://github.com/org/gradflow.git", "gh-pages", "chapters/01_x")
    assert url == "https://colab.research.google.com/github/org/gradflow/blob/gh-pages/_sources/chapters/01_x.ipynb"


def test_versions_table_names_the_course_stack() -> None:
    table = _load_extension().versions_markdown()
    for package in ("jax", "optax", "jupyter-book"):
        assert f"| {package} | {metadata.version(package)} |" in table, table


def _run_install_cell(cell: dict, installed: bool) -> list[tuple]:
    """Run an install cell as a kernel would, with `gradflow` importable or not; returns the magics it ran."""
    calls = []
    namespace = {"get_ipython": lambda: type("IP", (), {"run_line_magic": lambda self, *a: calls.append(a)})()}
    source = cell["source"] if installed else cell["source"].replace('"gradflow"', '"gradflow_not_installed_anywhere"')
    exec(compile(source, "cell", "exec"), namespace)
    return calls


def test_install_cell_installs_the_sites_wheel_only_where_gradflow_is_missing() -> None:
    ext = _load_extension()
    cell = ext.install_cell("https://org.github.io/gradflow/", "https://github.com/org/gradflow")
    wheel = f"https://org.github.io/gradflow/_static/wheels/gradflow-{ext.project_version()}-py3-none-any.whl"
    assert cell["cell_type"] == "code" and wheel in cell["source"], cell["source"]
    assert _run_install_cell(cell, installed=True) == [], "with gradflow importable the cell must do nothing"
    calls = _run_install_cell(cell, installed=False)
    assert calls and calls[0][0] == "pip" and wheel in calls[0][1], f"the cell should pip-install the wheel: {calls}"
    assert len(cell["source"].splitlines()) <= 8, "the install cell should stay small"


def test_install_cell_without_a_site_says_what_to_do() -> None:
    ext = _load_extension()
    git = ext.install_cell("", "https://github.com/org/gradflow")
    assert "git+https://github.com/org/gradflow" in _run_install_cell(git, installed=False)[0][1]
    cell = ext.install_cell("", "")
    assert _run_install_cell(cell, installed=True) == []
    with pytest.raises(ModuleNotFoundError, match=r"make lab") as raised:
        _run_install_cell(cell, installed=False)
    assert str(raised.value).count(". ") == 0 and str(raised.value).endswith("."), "one sentence"


def test_install_cell_is_added_once() -> None:
    ext = _load_extension()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "1"}]}
    once = ext.with_install_cell(nb, ext.install_cell("https://a.example/", ""))
    twice = ext.with_install_cell(once, ext.install_cell("https://b.example/", ""))
    assert len(twice["cells"]) == 2 and "b.example" in twice["cells"][0]["source"]
    old = ext.with_install_cell({**nb, "nbformat_minor": 4}, ext.install_cell("", ""))
    assert "id" not in old["cells"][0], "cell ids are invalid before nbformat 4.5"


def test_colab_needs_a_github_repository_or_a_github_pages_site() -> None:
    ext = _load_extension()
    assert ext.github_repository("", "https://org.github.io/gradflow/") == "https://github.com/org/gradflow"
    assert ext.github_repository("https://github.com/a/b", "https://org.github.io/x/") == "https://github.com/a/b"
    assert ext.github_repository("", "https://course.example.edu/gradflow/") == ""
    assert ext.github_repository("", "") == ""


def test_the_wheel_builds_and_holds_the_whole_library(tmp_path: Path) -> None:
    ext = _load_extension()
    wheel = ext.build_wheel(tmp_path)
    assert wheel.name == ext.wheel_name()
    _check_wheel(wheel)


def _check_wheel(wheel: Path) -> None:
    src = ROOT / "src" / "gradflow"
    expected = {f"gradflow/{p.relative_to(src).as_posix()}" for p in src.rglob("*.py")}
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata_file = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(metadata_file).decode()
    assert not expected - names, f"the wheel lacks {sorted(expected - names)[:10]}"
    assert "Requires-Dist: jax" in meta, "the wheel must declare gradflow's dependencies (pip installs them)"


def test_a_change_to_the_sources_re_executes_every_notebook(tmp_path: Path) -> None:
    """After src/gradflow changes, unchanged chapters must be re-read (and so re-executed), not only the claims page."""
    from types import SimpleNamespace

    ext = _load_extension()
    texts = {
        "chapters/nb": "# A chapter\n\n```{code-cell} ipython3\n1 + 1\n```\n",
        "chapters/plain": "# A page without code\n",
        "chapters/claims": f"# Claims\n\n{ext.CLAIMS_MARKER}\n",
    }
    for name, text in texts.items():
        (tmp_path / f"{name.split('/')[1]}.md").write_text(text)
    env = SimpleNamespace(found_docs=set(texts), doc2path=lambda d: tmp_path / f"{d.split('/')[1]}.md")
    app = SimpleNamespace()
    assert ext._outdated_docs(app, env, set(), set(), set()) == ["chapters/claims"]
    app.gradflow_src_changed = True
    assert sorted(ext._outdated_docs(app, env, set(), set(), set())) == ["chapters/claims", "chapters/nb"], (
        "with the sources changed, every notebook must be re-read so that it re-executes with the new library"
    )


def test_a_github_pages_address_gives_each_chapter_a_colab_button() -> None:
    """With `html: baseurl:` on GitHub Pages and no `repository: url:`, the theme makes no launch menu: the extension
    adds one holding Colab, pointed at the chapter's notebook published on the gh-pages branch."""
    from types import SimpleNamespace

    ext = _load_extension()
    options = ext.repository_buttons({"repository_url": "", "launch_buttons": {}})
    config = SimpleNamespace(
        html_theme_options=options, html_baseurl="https://org.github.io/gradflow/", gradflow_colab_branch="gh-pages"
    )
    app = SimpleNamespace(config=config)
    context = {"ipynb_source": "chapters/02_x.ipynb", "header_buttons": []}
    ext._page_polish(app, "chapters/02_x", "page.html", context, None)
    groups = [g for g in context["header_buttons"] if g.get("label") == "launch-buttons"]
    assert len(groups) == 1 and [b["text"] for b in groups[0]["buttons"]] == ["Colab"]
    assert groups[0]["buttons"][0]["url"] == (
        "https://colab.research.google.com/github/org/gradflow/blob/gh-pages/_sources/chapters/02_x.ipynb"
    )
    plain = {"ipynb_source": "chapters/02_x.ipynb", "header_buttons": []}
    ext._page_polish(
        SimpleNamespace(config=SimpleNamespace(**{**vars(config), "html_baseurl": ""})), "p", "", plain, None
    )
    assert plain["header_buttons"] == [], "no address, no repository: no launch button"
