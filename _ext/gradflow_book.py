"""Sphinx extension wiring the Gradient Flow book together (loaded from `_config.yml`).

- Explorers render as static, kernel-free widgets during the build
  (sets GRADFLOW_STATIC_EXPLORERS=1 for the executing kernels).
- MathJax, RequireJS and the Jupyter widgets HTML manager are served from
  `_vendor/` (filled from npm by `make assets`), so the site works offline.
  Without them the build falls back to the CDNs and says so.
- jupyter-cache hashes only notebook code, so the execution cache is cleared and
  every notebook re-executed whenever the `gradflow` sources change.
- The claims page is generated from the chapters' `*.claims.toml` files (read by `gradflow.claims`), whose
  folder the executing kernels get as GRADFLOW_CLAIMS_DIR (so `claims.glue` checks every value); the execution-status page
  lists the versions of the packages the build used.
- Every chapter's executed notebook is offered for download (`.ipynb`) beside its
  `.md` source.
- A wheel of `gradflow` is built (pip, from `pyproject.toml`) and shipped with the site in `_static/wheels/`; every
  downloadable notebook (chapters and graded exercises) starts with one cell that installs it from the published
  site where `gradflow` is missing (the site's address: `html: baseurl:` in `_config.yml`; while it is empty the cell
  says what to do instead).
- One setting, `repository: url:` in `_config.yml`, turns on the repository and
  issues buttons and the Binder and Colab launch buttons; while it is empty they stay off. A site address on
  GitHub Pages (`https://<org>.github.io/<repo>/`) turns on the Colab button too.
- The site's own CSS (`_assets/css/`): figures and explorers as white cards in dark mode.
- A cell output that is a bare object repr (`<Figure size ...>`, `<matplotlib...>`, `<... object at 0x...>`)
  instead of its rendering, and a named figure with no image, are build warnings (errors under `-W`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from gradflow._fast import build_xla_flags

LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"
CSS_DIR = ROOT / "_assets" / "css"
CLAIMS_DIR = ROOT / "chapters"  # each chapter's checked numbers, in <chapter>.claims.toml
CLAIMS_MARKER = "<!-- claims-table -->"
VERSIONS_MARKER = "<!-- build-versions -->"
GENERATED_MARKERS = (CLAIMS_MARKER, VERSIONS_MARKER)
# Packages whose versions the execution-status page reports (the build's own environment,
# which is also the kernel's).
VERSION_PACKAGES = ("jax", "jaxlib", "optax", "numpy", "matplotlib", "ipywidgets", "jupyter-book", "myst-nb", "sphinx")
# Not part of the book even though they may hold Markdown (tool caches, test output).
EXTRA_EXCLUDES = (".*", "**/.*", "test-artifacts")
# The Jupyter widgets manager typesets widget text with the MathJax 2 API (`MathJax.Hub.Queue`), which
# MathJax 3 lacks: every widget label then throws. This maps those calls onto MathJax 3's typesetPromise.
# MathJax (a deferred script) has replaced its config object by the time DOMContentLoaded fires, and this
# listener is registered before the widget manager's own.
MATHJAX2_SHIM = """document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub || !mj.startup) return;
  mj.Hub = {Queue: function () {
    Array.prototype.forEach.call(arguments, function (job) {
      if (!Array.isArray(job) || job[0] !== "Typeset" || !job[2]) return;
      mj.startup.promise.then(function () { return mj.typesetPromise([job[2]]); })
        .catch(function (err) { console.warn("MathJax could not typeset a widget:", err); });
    });
  }};
});"""
# Explorer sliders (noUiSlider handles from the widgets manager, role="slider") have no accessible name: name each
# after its widget's label (the slider's description). Handles appear when the widgets render, after page load.
SLIDER_NAMES = """(function () {
  function name(handle) {
    if (handle.getAttribute("aria-label") || handle.getAttribute("aria-labelledby")) return;
    var box = handle.closest(".widget-slider") || handle.closest(".jupyter-widgets");
    var label = box && box.querySelector(".widget-label");
    var text = label ? label.textContent.trim() : "";
    handle.setAttribute("aria-label", text || "explorer setting");
  }
  function scan(root) { root.querySelectorAll(".noUi-handle").forEach(name); }
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) return;
        if (node.matches(".noUi-handle")) name(node);
        scan(node);
      });
    });
  }).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
})();"""
# What a cell shows when an object it meant to display has no rich rendering (a figure that never became an image).
BARE_REPR = re.compile(r"^<(Figure size |matplotlib\.|Axes[ :(>]|[\w.]+ object at 0x)")
# Where the site serves the wheel of gradflow, relative to its root.
WHEEL_DIR = "_static/wheels"
# Marks the install cell the build puts first in every downloadable notebook (so it is added once).
INSTALL_CELL_ID = "gradflow-install"
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"


# What no chapter executes: editing the grader re-executes no chapter.
NOT_EXECUTED = ("grading",)


def source_hash(src: Path = ROOT / "src" / "gradflow") -> str:
    """SHA-256 over the package's source files that chapters execute (paths and contents).

    The claim files (``chapters/*.claims.toml``) are not part of it: editing a claim's wording or
    tolerance re-executes nothing (the tests check the glued values against the files).
    """
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        skipped = "__pycache__" in path.parts or path.relative_to(src).parts[0] in NOT_EXECUTED
        if path.is_file() and not skipped:
            digest.update(path.relative_to(src).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _invalidate_cache(app: Sphinx) -> None:
    # myst-nb's default when `execute: cache:` is empty: `_build/.jupyter_cache`
    cache = Path(app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    stamp = cache.parent / ".gradflow-src-hash"
    current = source_hash()
    if stamp.exists() and stamp.read_text() == current:
        return
    if cache.exists():
        LOGGER.info("gradflow sources changed: clearing the execution cache %s", cache)
        shutil.rmtree(cache)
        app.gradflow_src_changed = True  # read by _outdated_docs: Sphinx must re-read (re-execute) the notebooks
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)


def _offline_assets(app: Sphinx) -> None:
    mathjax = VENDOR / "static" / "vendor" / "mathjax" / "tex-chtml.js"
    if not mathjax.exists():
        LOGGER.info("offline JS assets missing (run `make assets`): the site will load MathJax and widgets from CDNs")
        return
    app.config.html_static_path = [*app.config.html_static_path, str(VENDOR / "static")]
    # The widget manager's CSS asks for its icon fonts relative to the *page*
    # (`@jupyter-widgets/html-manager/dist/` beside it), so copies sit at each page depth.
    app.config.html_extra_path = [*app.config.html_extra_path, str(VENDOR / "extra")]
    app.config.mathjax_path = "vendor/mathjax/tex-chtml.js"
    app.config.nb_ipywidgets_js = {
        "vendor/requirejs/require.js": {},
        "vendor/html-manager/embed-amd.js": {},
    }


def versions_markdown() -> str:
    """A Markdown table of the Python and package versions this build runs with."""
    rows = [f"| Python | {platform.python_version()} |"]
    for name in VERSION_PACKAGES:
        try:
            rows.append(f"| {name} | {metadata.version(name)} |")
        except metadata.PackageNotFoundError:
            rows.append(f"| {name} | not installed |")
    return "\n".join(["| Package | Version |", "|---|---|", *rows])


def repository_buttons(theme_options: dict[str, Any]) -> dict[str, Any]:
    """Theme options with the repository-driven buttons filled in.

    With `repository_url` set, the repository, issues and edit buttons are shown, and
    Binder and Colab launch buttons are offered (unless `_config.yml` names other hubs);
    with it empty, every one of them stays off, so the site holds no placeholder URLs.
    """
    options = dict(theme_options)
    launch = dict(options.get("launch_buttons") or {})
    url = (options.get("repository_url") or "").strip()
    if url:
        options.update(use_repository_button=True, use_issues_button=True, use_edit_page_button=True)
        launch["binderhub_url"] = launch.get("binderhub_url") or BINDER_URL
        launch["colab_url"] = launch.get("colab_url") or COLAB_URL
    else:
        options.update(use_repository_button=False, use_issues_button=False, use_edit_page_button=False)
        for key in ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url"):
            launch[key] = ""
        launch["thebe"] = False
    options["launch_buttons"] = launch
    return options


def colab_notebook_url(repository_url: str, branch: str, pagename: str, colab_url: str = COLAB_URL) -> str:
    """Colab link to a chapter's built notebook, published with the site on `branch` (e.g. gh-pages).

    Colab opens only `.ipynb` files from GitHub; the chapters are `.md`, so Colab gets the
    executed notebook the build writes to `_sources/<page>.ipynb` of the published site.
    """
    path = repository_url.rstrip("/").removesuffix(".git").split("github.com/")[-1]
    return f"{colab_url.rstrip('/')}/github/{path}/blob/{branch}/_sources/{pagename}.ipynb"


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The version of `gradflow` that `pyproject.toml` declares."""
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]


def wheel_name(version: str | None = None) -> str:
    """File name of the pure-Python wheel of `gradflow` the site ships."""
    return f"gradflow-{version or project_version()}-py3-none-any.whl"


def wheel_url(site_url: str, version: str | None = None) -> str:
    """Address of the wheel on the published site whose root is `site_url`."""
    return f"{site_url.rstrip('/')}/{WHEEL_DIR}/{wheel_name(version)}"


def build_wheel(dest: Path) -> Path:
    """Build the wheel of `gradflow` into `dest` with pip (no dependencies), from a clean copy of the sources.

    Builds in the running environment when its setuptools can (no network: `make book` installs one that can), and in
    pip's isolated build environment otherwise. The copy keeps setuptools' `build/` and `*.egg-info` out of the tree.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
        shutil.copy2(ROOT / "README.md", work / "README.md")
        shutil.copytree(
            ROOT / "src" / "gradflow", work / "src" / "gradflow", ignore=shutil.ignore_patterns("__pycache__")
        )
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(work / "dist")]
        proc = subprocess.run([*base, "--no-build-isolation", str(work)], capture_output=True, text=True)
        if proc.returncode != 0:
            proc = subprocess.run([*base, str(work)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pip could not build the wheel of gradflow:\n{proc.stdout}{proc.stderr}")
        built = work / "dist" / wheel_name()
        if not built.is_file():
            raise RuntimeError(f"pip built {sorted(p.name for p in (work / 'dist').iterdir())}, not {built.name}")
        target = dest / built.name
        shutil.copy2(built, target)
    return target


def install_cell(site_url: str = "", repository_url: str = "") -> dict[str, Any]:
    """The first code cell of every downloadable notebook: does nothing where `gradflow` is importable.

    Elsewhere (Colab, a fresh environment) it installs `gradflow` from the wheel on the published site (`site_url`),
    or, with no site address but a repository, from the repository; with neither, it says what to do instead.
    pip takes the dependencies from the package index as usual.
    """
    head = (
        "# The course library, gradflow: installed here when it is missing (Colab, a fresh environment).\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("gradflow") is None:\n'
    )
    if site_url:
        body = (
            f'    get_ipython().run_line_magic("pip", "install --quiet {wheel_url(site_url)}")\n'
            "    importlib.invalidate_caches()"
        )
    elif repository_url:
        body = (
            f'    get_ipython().run_line_magic("pip", "install --quiet \'gradflow @ git+{repository_url}\'")\n'
            "    importlib.invalidate_caches()"
        )
    else:
        body = (
            '    raise ModuleNotFoundError("This notebook needs the course library gradflow: run it in the course\'s "\n'
            '                              "environment (clone the repository and run `make lab`, as its README says).")'
        )
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": INSTALL_CELL_ID,
        "metadata": {"tags": [INSTALL_CELL_ID]},
        "outputs": [],
        "source": head + body,
    }


def with_install_cell(notebook: dict[str, Any], cell: dict[str, Any]) -> dict[str, Any]:
    """`notebook` with `cell` first (replacing an install cell a previous build put there)."""
    cells = [c for c in notebook["cells"] if INSTALL_CELL_ID not in c.get("metadata", {}).get("tags", [])]
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) < (4, 5):
        cell = {k: v for k, v in cell.items() if k != "id"}
    return {**notebook, "cells": [cell, *cells]}


def write_notebook(path: Path, notebook: dict[str, Any]) -> None:
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def github_repository(repository_url: str, site_url: str) -> str:
    """The GitHub repository the site is published from: `repository: url:`, or one read off a GitHub Pages address."""
    if repository_url:
        return repository_url
    m = re.match(r"https?://([\w-]+)\.github\.io/([\w.-]+)", site_url or "")
    return f"https://github.com/{m.group(1)}/{m.group(2)}" if m else ""


def _jax_compilation_cache(app: Sphinx) -> None:
    """Let the chapter kernels share XLA's persistent compilation cache in ``_build/.jax_cache``.

    Compiling dominates a chapter's execution on a CPU (each distinct jitted function costs
    0.2-5 s); chapters compile many of the same functions, and a re-execution after a change
    to ``src/`` recompiles only what changed. The kernels inherit these variables; set
    ``JAX_COMPILATION_CACHE_DIR`` yourself to put the cache elsewhere. ``make clean`` empties it.
    """
    cache = Path(app.outdir).parent / ".jax_cache"
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache))
    os.environ["XLA_FLAGS"] = build_xla_flags(os.environ.get("XLA_FLAGS", ""))  # compiled faster, same numbers
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")


def _site_url(app: Sphinx) -> str:
    return (app.config.html_baseurl or "").strip()


def _ship_wheel(app: Sphinx) -> None:
    """Build the wheel (again only when `src/` or `pyproject.toml` changed) and serve it in `_static/wheels/`."""
    key = hashlib.sha256((source_hash() + (ROOT / "pyproject.toml").read_text(encoding="utf-8")).encode()).hexdigest()
    static = Path(app.outdir).parent / ".gradflow_wheel" / key[:16]
    wheels = static / WHEEL_DIR.removeprefix("_static/")
    if not (wheels / wheel_name()).is_file():
        shutil.rmtree(static.parent, ignore_errors=True)
        try:
            build_wheel(wheels)
        except RuntimeError as err:
            LOGGER.warning("%s", err, type="gradflow", subtype="wheel")
            return
    app.config.html_static_path = [*app.config.html_static_path, str(static)]


def _config_inited(app: Sphinx, config) -> None:
    os.environ["GRADFLOW_STATIC_EXPLORERS"] = "1"
    os.environ["GRADFLOW_CLAIMS_DIR"] = str(CLAIMS_DIR)  # the kernels' claims.glue checks against these files
    _jax_compilation_cache(app)
    config.exclude_patterns = [*config.exclude_patterns, *EXTRA_EXCLUDES]
    config.html_theme_options = repository_buttons(config.html_theme_options)
    if CSS_DIR.is_dir():
        config.html_static_path = [*config.html_static_path, str(CSS_DIR)]
        config.html_css_files = [*config.html_css_files, "gradflow.css"]
    _offline_assets(app)
    _invalidate_cache(app)
    _ship_wheel(app)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if CLAIMS_MARKER in source[0]:
        from gradflow.claims import claims_markdown, load

        source[0] = source[0].replace(CLAIMS_MARKER, claims_markdown(load(CLAIMS_DIR)))
    if VERSIONS_MARKER in source[0]:
        source[0] = source[0].replace(VERSIONS_MARKER, versions_markdown())


def _outdated_docs(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Docs Sphinx would not re-read on its own.

    Pages with generated content, on every build (claims and versions may change); after a
    change to the gradflow sources, every notebook too: their cached outputs were cleared,
    but Sphinx re-reads (and so re-executes) only documents whose own text changed.
    """
    src_changed = getattr(app, "gradflow_src_changed", False)
    found = []
    for docname in env.found_docs:
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and docname not in added | changed:
            text = path.read_text(encoding="utf-8")
            if any(marker in text for marker in GENERATED_MARKERS) or (src_changed and "{code-cell}" in text):
                found.append(docname)
    return found


def _is_notebook(app: Sphinx, pagename: str) -> bool:
    return "kernelspec" in app.env.metadata.get(pagename, {})


def _notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Offer the executed notebook (`.ipynb`) in the page's download menu, beside the `.md` source."""
    if doctree is None or not _is_notebook(app, pagename) or context.get("ipynb_source"):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    repository = (app.config.html_theme_options.get("repository_url") or "").strip()
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    write_notebook(target, with_install_cell(notebook, install_cell(_site_url(app), repository)))
    context["ipynb_source"] = f"{pagename}.ipynb"


def _graded_notebooks(app: Sphinx, exception) -> None:
    """The graded notebooks the site offers (`_downloads/`) get the same install cell as the chapters."""
    if exception is not None or app.builder.format != "html":
        return
    repository = (app.config.html_theme_options.get("repository_url") or "").strip()
    cell = install_cell(_site_url(app), repository)
    for path in sorted((Path(app.outdir) / "_downloads").rglob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if "gradflow" in notebook.get("metadata", {}):  # generated by gradflow.grading
            write_notebook(path, with_install_cell(notebook, cell))


def _strip_thebe(app: Sphinx, doctree, docname: str) -> None:
    """With Thebe off, drop the per-page Thebe config sphinx-thebe appends (it names a placeholder Binder repo)."""
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "x-thebe-config" in text or text.startswith("<script>kernelName ="):
            node.parent.remove(node)


def output_problems(doctree) -> list[str]:
    """Outputs that show a bare object repr instead of their rendering, and figures without an image."""
    from docutils import nodes

    def rendered_otherwise(block) -> bool:
        """The block is the text/plain of a mime bundle that also holds a rendering (an image, HTML, a widget).

        myst-nb keeps every mime type of an output until a post-transform picks one per builder, so a figure's
        bundle holds its `<Figure size ...>` text beside its PNG at this point; only a bundle without one is a problem.
        """
        node = block.parent
        while node is not None and node.get("nb_element") != "mime_bundle":
            node = node.parent
        if node is None:
            return False
        return any(
            (child.get("mime_type") or "").startswith(("image/", "text/html", "application/vnd.jupyter.widget"))
            for child in node.findall(nodes.container)
        )

    problems = []
    for block in doctree.findall(nodes.literal_block):
        text = block.astext().strip()
        if "text_plain" in block.get("classes", []) and BARE_REPR.match(text) and not rendered_otherwise(block):
            problems.append(f"a cell output is the bare repr {text[:80]!r} instead of its rendering")
    for cell in doctree.findall(nodes.container):
        figure = ((cell.get("cell_metadata") or {}).get("mystnb") or {}).get("figure") or {}
        if cell.get("nb_element") == "cell_code" and figure and not any(True for _ in cell.findall(nodes.image)):
            problems.append(f"figure {figure.get('name', '(unnamed)')!r} has no image: its cell displayed no picture")
    return problems


def _check_outputs(app: Sphinx, doctree) -> None:
    for problem in output_problems(doctree):
        LOGGER.warning(problem, location=app.env.docname, type="gradflow", subtype="output")


def _page_polish(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Runs after the theme has built its header buttons."""
    options = app.config.html_theme_options
    # docutils marks bibliography entries role="doc-biblioentry" (deprecated in DPUB-ARIA 1.1, so assistive technology
    # and axe-core no longer see them as the items of their role="list"): make them list items.
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
    # sphinx-thebe puts a CDN URL and its loader on every page; with Thebe off they are never used.
    if not options.get("launch_buttons", {}).get("thebe"):
        context["script_files"] = [
            js
            for js in context.get("script_files", [])
            if not (getattr(js, "filename", None) or "").endswith("sphinx-thebe.js")
            and "THEBE_JS_URL" not in (getattr(js, "attributes", {}) or {}).get("body", "")
        ]
        context["css_files"] = [
            css
            for css in context.get("css_files", [])
            if not (getattr(css, "filename", "") or "").endswith("sphinx-thebe.css")
        ]
    # Colab opens only .ipynb files from GitHub: point it at the built notebook of the published site.
    url = github_repository((options.get("repository_url") or "").strip(), _site_url(app))
    if url and context.get("ipynb_source"):
        branch = app.config.gradflow_colab_branch
        colab = options["launch_buttons"].get("colab_url") or COLAB_URL
        button = {
            "type": "link",
            "text": "Colab",
            "tooltip": "Launch on Colab",
            "icon": "_static/images/logo_colab.png",
            "url": colab_notebook_url(url, branch, pagename, colab),
        }
        groups = [g for g in context.setdefault("header_buttons", []) if g.get("label") == "launch-buttons"]
        if not groups:  # a site address without `repository: url:`: the theme made no launch menu
            groups = [{"type": "group", "tooltip": "Launch interactive content", "icon": "fas fa-rocket"}]
            groups[0].update(buttons=[], label="launch-buttons")
            context["header_buttons"].append(groups[0])
        buttons = groups[0]["buttons"]
        colab_buttons = [b for b in buttons if b.get("text") == "Colab"]
        if colab_buttons:
            colab_buttons[0]["url"] = button["url"]
        else:
            buttons.append(button)


def setup(app: Sphinx) -> dict:
    app.add_config_value("gradflow_colab_branch", "gh-pages", "html")
    app.add_js_file(None, body=MATHJAX2_SHIM)
    app.add_js_file(None, body=SLIDER_NAMES)
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _outdated_docs)
    app.connect("doctree-read", _check_outputs)
    app.connect("doctree-resolved", _strip_thebe, priority=600)
    # sphinx-book-theme resets its header buttons at priority 500 and builds them at 501:
    # the notebook download must be known in between.
    app.connect("html-page-context", _notebook_download, priority=500)
    app.connect("html-page-context", _page_polish, priority=900)
    app.connect("build-finished", _graded_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
