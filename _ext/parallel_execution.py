"""Execute the chapters Sphinx is about to read, several at a time, into myst-nb's execution cache.

myst-nb (``execute_notebooks: cache``) executes each notebook when Sphinx reads it, one after
another; a chapter's kernel mostly keeps one core busy (compiling), so on a 2-core machine a
cold build waits twice as long as it needs to. Before Sphinx reads anything, this module parses
each notebook exactly as myst-nb will, executes those the cache lacks in ``GRADFLOW_BUILD_JOBS``
kernels at once (default: the number of cores, at most 4) and stores the results the way
myst-nb does; myst-nb then finds every chapter in the cache. A chapter that fails here is not
stored: myst-nb executes it again and reports its error as usual. Numbers do not change: each
chapter still runs in its own kernel, from a fresh start.

myst-nb writes ``_build/jupyter_execute/<chapter>.ipynb`` from the notebook it parsed; when the outputs come
from the cache, that file has none. After reading, :func:`write_executed` writes the cached outputs there, with
glued values moved out as myst-nb does when it executes a notebook itself.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def build_jobs() -> int:
    """How many chapters execute at once: ``GRADFLOW_BUILD_JOBS``, else the cores (at most 4)."""
    value = os.environ.get("GRADFLOW_BUILD_JOBS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GRADFLOW_BUILD_JOBS must be a positive integer, got {value!r}")
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def _execute(nb_json: str, cwd: str, timeout: int | None, allow_errors: bool) -> tuple[str, str | None, float]:
    """Run one notebook (JSON text) in a fresh kernel: (executed JSON, error text or None, seconds)."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = nbformat.reads(nb_json, as_version=4)
    result = single_nb_execution(notebook, cwd=cwd, allow_errors=allow_errors, timeout=timeout, meta_override=True)
    error = None if result.err is None else (result.exc_string or repr(result.err))
    return nbformat.writes(notebook), error, result.time


def _as_myst_nb_reads_it(app: Sphinx, docname: str) -> tuple[Any, Any]:
    """(notebook, read format) as myst-nb will build them from ``docname``, kernel aliases applied.

    The notebook is None where there is nothing to execute here.
    """
    from myst_nb.core.read import create_nb_reader

    env = app.env
    path = Path(env.doc2path(docname))
    source = [path.read_text(encoding="utf-8")]
    app.events.emit("source-read", docname, source)  # what Sphinx hands the parser
    nb_config = env.mystnb_config
    reader = create_nb_reader(str(path), env.myst_config, nb_config, source[0])
    if reader is None:
        return None, None
    notebook = reader.read(source[0])
    if nb_config.metadata_key in notebook.metadata:  # per-notebook execution settings: leave it to myst-nb
        return None, None
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    for pattern, alias in (nb_config.kernel_rgx_aliases or {}).items():
        if kernel is not None and re.fullmatch(pattern, kernel):
            notebook.metadata["kernelspec"]["name"] = alias
            break
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None, None
    return notebook, reader.read_fmt


def execute_outdated(app: Sphinx, env, docnames: list[str]) -> None:
    """``env-before-read-docs``: fill the execution cache for ``docnames``, ``build_jobs()`` at a time."""
    nb_config = env.mystnb_config
    if nb_config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(nb_config.execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    todo, read_formats = {}, {}
    app.gradflow_notebooks = {}
    for docname in sorted(docnames):
        notebook, read_formats[docname] = _as_myst_nb_reads_it(app, docname)
        if notebook is None:
            continue
        app.gradflow_notebooks[docname] = notebook
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo[docname] = notebook
    jobs = build_jobs()
    if len(todo) < 2 or jobs < 2:
        return  # nothing to gain: myst-nb executes it while reading
    LOGGER.info("executing %d notebooks, %d at a time", len(todo), jobs)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(
                _execute,
                nbformat.writes(notebook),
                str(Path(env.doc2path(docname)).parent),
                nb_config.execution_timeout,
                nb_config.execution_allow_errors,
            ): docname
            for docname, notebook in todo.items()
        }
        for future in as_completed(futures):
            docname = futures[future]
            executed, error, seconds = future.result()
            if error is not None:
                LOGGER.info(
                    "%s failed (%.1f s); it is executed again while read, to report the error", docname, seconds
                )
                continue
            record = cache.add_nb_to_project(str(env.doc2path(docname)), read_data=read_formats[docname])
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(executed, as_version=4), record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            LOGGER.info("executed %s in %.1f s", docname, seconds)
    LOGGER.info("executed %d notebooks in %.1f s", len(todo), time.perf_counter() - start)


def write_executed(app: Sphinx, env) -> None:
    """``env-updated``: each notebook read in this build, with its cached outputs, into myst-nb's output folder."""
    from jupyter_cache import get_cache
    from myst_nb.ext.glue import extract_glue_data_cell

    nb_config = env.mystnb_config
    if nb_config.execution_mode != "cache":
        return
    cache = get_cache(nb_config.execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    for docname, notebook in getattr(app, "gradflow_notebooks", {}).items():
        try:
            _, merged = cache.merge_match_into_notebook(notebook)
        except KeyError:
            continue  # not executed (an error, reported while read)
        for cell in merged.cells:
            if cell.cell_type == "code":
                extract_glue_data_cell(cell)
        target = Path(nb_config.output_folder).joinpath(*f"{docname}.ipynb".split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(merged), encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("env-before-read-docs", execute_outdated)
    app.connect("env-updated", write_executed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
