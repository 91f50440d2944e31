"""Explorers: one helper turns a figure-updating function into an interactive widget.

Two ways, same code:

* **live** (a person running the notebook): sliders recompute in the kernel and
  the figure is updated in place (artists changed, one PNG re-rendered into an
  ``Image`` widget), never re-created;
* **static** (the website, no kernel): every combination of control values is
  pre-rendered at execution time into a ``Stack`` of frames whose
  ``selected_index`` is linked in the browser to the slider with
  ``widgets.jslink``. The book build sets ``GRADFLOW_STATIC_EXPLORERS=1``.

A chapter calls :func:`explorer` once.
"""

from __future__ import annotations

import base64
import html
import io
import os
import time
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib as mpl
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

STATIC_ENV = "GRADFLOW_STATIC_EXPLORERS"
MAX_STATIC_FRAMES = 64


def static_mode() -> bool:
    """True when explorers should be pre-rendered (the book build), False for a live kernel."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0", "false", "False")


def render_png(fig: Figure, dpi: int = 96, compress_level: int = 6) -> bytes:
    """The figure as PNG bytes (no metadata, so identical inputs give identical bytes).

    ``compress_level`` (0-9, zlib's) trades size for time: a live explorer, whose frames never leave
    the machine, encodes at 1 (several times faster, a larger file); the website's frames at 6.
    """
    if type(fig.canvas) is FigureCanvasBase:
        # A pyplot-free figure: give it one Agg canvas for good. savefig would otherwise make a new
        # canvas and renderer per frame, and each new renderer parses every tick label's math text
        # again (a third of the render time).
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": compress_level})
    return buf.getvalue()


def keep_layout(fig: Figure) -> None:
    """Keep ``fig``'s axes where its layout engine last put them, and drop the engine.

    An explorer's frames share the first frame's layout: with any layout engine set (even
    ``set_layout_engine("none")``'s placeholder) ``savefig`` draws the figure twice, once to lay it
    out and once to render it, and the layout pass costs as much as the render.
    """
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


class LiveExplorer(widgets.VBox):
    """A live explorer: sliders, the figure's PNG and its description.

    ``timings`` holds (update seconds, render seconds) for every refresh, for
    the latency benchmark; ``set(**values)`` moves the sliders from code.
    """

    def __init__(self, sliders: dict[str, widgets.SelectionSlider], image: widgets.Image, caption: widgets.HTML):
        super().__init__([*sliders.values(), image, caption])
        self.sliders, self.image, self.caption = sliders, image, caption
        self.timings: list[tuple[float, float]] = []

    def set(self, **values) -> None:
        """Move the named sliders to ``values`` (each triggers one refresh)."""
        for name, value in values.items():
            self.sliders[name].value = value


class StaticExplorer(widgets.VBox):
    """A pre-rendered explorer: sliders above nested ``Stack``s of frames, linked in the browser.

    ``links`` are the ``jslink`` objects joining each slider's ``index`` to its stacks' ``selected_index``.
    """

    def __init__(self, sliders: dict[str, widgets.SelectionSlider], frames: widgets.Stack, links: list):
        super().__init__([*sliders.values(), frames], layout=widgets.Layout(min_height="200px"))
        self.sliders, self.frames, self.links = sliders, frames, links


def _frame_html(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="gradflow-frame" src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'


def _sliders(
    controls: Mapping[str, Sequence], defaults: Mapping[str, object], labels: Mapping[str, str]
) -> dict[str, widgets.SelectionSlider]:
    sliders = {}
    for name, options in controls.items():
        options = list(options)
        if not options:
            raise ValueError(f"control {name!r} needs at least one value")
        value = defaults.get(name, options[0])
        if value not in options:
            raise ValueError(f"default {value!r} for control {name!r} is not one of its values {options}")
        sliders[name] = widgets.SelectionSlider(
            options=options,
            value=value,
            description=labels.get(name, name),
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"),
        )
    return sliders


def explorer(
    fig: Figure,
    update: Callable[..., None],
    controls: Mapping[str, Sequence],
    alt: Callable[..., str],
    defaults: Mapping[str, object] | None = None,
    labels: Mapping[str, str] | None = None,
    static: bool | None = None,
) -> widgets.Widget:
    """An explorer for ``fig``: ``update(**values)`` redraws the figure's artists in place.

    ``controls`` maps a keyword argument of ``update`` to its values (each becomes a
    slider, labelled by ``labels.get(name, name)``); ``alt(**values)`` describes a
    frame in words (the image's alt text).
    ``static`` defaults to :func:`static_mode`. Static explorers hold one frame
    per combination of values (at most 64).
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if not controls:
        raise ValueError("controls must name at least one control and its values")
    defaults = dict(defaults or {})
    sliders = _sliders(controls, defaults, dict(labels or {}))
    static = static_mode() if static is None else static
    names = list(sliders)

    if not static:
        box = LiveExplorer(sliders, widgets.Image(format="png"), widgets.HTML())

        def refresh(_change=None) -> None:
            values = {n: s.value for n, s in sliders.items()}
            start = time.perf_counter()
            update(**values)
            mid = time.perf_counter()
            box.image.value = render_png(fig, compress_level=1)
            keep_layout(fig)  # lay out once; later frames only redraw (much cheaper)
            box.caption.value = f"<small>{html.escape(alt(**values))}</small>"
            box.timings.append((mid - start, time.perf_counter() - mid))

        for s in sliders.values():
            s.observe(refresh, names="value")
        refresh()
        return box

    n_frames = 1
    for options in controls.values():
        n_frames *= len(options)
    if n_frames > MAX_STATIC_FRAMES:
        raise ValueError(f"a static explorer holds at most {MAX_STATIC_FRAMES} frames; these controls make {n_frames}")

    links = []

    def build(level: int, fixed: dict) -> widgets.Widget:
        name = names[level]
        children = []
        for value in controls[name]:
            values = {**fixed, name: value}
            if level + 1 < len(names):
                children.append(build(level + 1, values))
            else:
                update(**values)
                children.append(widgets.HTML(_frame_html(render_png(fig), alt(**values))))
                keep_layout(fig)  # every frame shares the first frame's layout
        stack = widgets.Stack(children, selected_index=list(controls[name]).index(sliders[name].value))
        links.append(widgets.jslink((sliders[name], "index"), (stack, "selected_index")))
        return stack

    return StaticExplorer(sliders, build(0, {}), links)
