"""Sphinx extension wiring the Gradient Flow book together (loaded from `_config.yml`).

- Explorers render as static, kernel-free widgets during the build
  (sets GRADFLOW_STATIC_EXPLORERS=1 for the executing kernels).
- MathJax, RequireJS and the Jupyter widgets HTML manager are served from
  `_vendor/` (filled from npm by `make assets`), so the site works offline.
  Without them the build falls back to the CDNs and says so.
- jupyter-cache hashes only notebook code, so the execution cache is cleared
  whenever the `gradflow` sources change.
- The claims page is generated from `gradflow.claims`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"
CLAIMS_MARKER = "<!-- claims-table -->"


def source_hash(src: Path = ROOT / "src" / "gradflow") -> str:
    """SHA-256 over the package's source files (paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
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


def _config_inited(app: Sphinx, config) -> None:
    os.environ["GRADFLOW_STATIC_EXPLORERS"] = "1"
    _offline_assets(app)
    _invalidate_cache(app)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if CLAIMS_MARKER in source[0]:
        from gradflow.claims import claims_markdown

        source[0] = source[0].replace(CLAIMS_MARKER, claims_markdown())


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
