"""Explorers: static frames linked to sliders in the browser, live updates in place."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from gradflow.views import plots
from gradflow.views.widgets import explorer, keep_layout, render_png


def _figure():
    fig, axes = plots.new_figure()
    (line,) = axes[0, 0].plot([0, 1], [0, 0])
    calls = []

    def update(a, b=1):
        calls.append((a, b))
        line.set_ydata([0, a * b])
        axes[0, 0].set_ylim(0, 10)

    return fig, update, calls


def _stack(box):
    return next(c for c in box.children if isinstance(c, widgets.Stack))


def test_static_explorer_prerenders_every_combination_and_links_sliders():
    fig, update, calls = _figure()
    box = explorer(
        fig, update, {"a": [1, 2, 3], "b": [1, 2]}, lambda a, b: f"a={a}, b={b}", defaults={"a": 2}, static=True
    )
    assert len(calls) == 6
    outer = _stack(box)
    assert len(outer.children) == 3 and all(len(s.children) == 2 for s in outer.children)
    assert outer.selected_index == 1
    frames = [f.value for s in outer.children for f in s.children]
    assert len(set(frames)) == 6, "every combination must render a different frame"
    assert 'alt="a=3, b=2"' in frames[-1]
    sliders = [c for c in box.children if isinstance(c, widgets.SelectionSlider)]
    linked = {(id(link.source[0]), id(link.target[0])) for link in box.links}
    assert all(link.source[1] == "index" and link.target[1] == "selected_index" for link in box.links)
    assert (id(sliders[0]), id(outer)) in linked
    assert all((id(sliders[1]), id(inner)) in linked for inner in outer.children)


def test_live_explorer_updates_one_image_in_place():
    fig, update, calls = _figure()
    box = explorer(fig, update, {"a": [1, 2, 3]}, lambda a: f"a={a}", static=False)
    slider, image = box.children[0], box.children[1]
    first = image.value
    slider.value = 3
    assert calls[-1] == (3, 1) and image.value != first and image is box.children[1]
    assert "a=3" in box.children[2].value


def test_static_mode_follows_the_environment(monkeypatch):
    fig, update, _ = _figure()
    monkeypatch.setenv("GRADFLOW_STATIC_EXPLORERS", "1")
    assert any(isinstance(c, widgets.Stack) for c in explorer(fig, update, {"a": [1, 2]}, lambda **v: str(v)).children)
    monkeypatch.setenv("GRADFLOW_STATIC_EXPLORERS", "0")
    assert any(isinstance(c, widgets.Image) for c in explorer(fig, update, {"a": [1, 2]}, lambda **v: str(v)).children)


def test_png_rendering_is_deterministic():
    fig, update, _ = _figure()
    update(2)
    assert render_png(fig) == render_png(fig)


def test_frames_after_the_first_keep_its_layout_and_draw_the_figure_once(monkeypatch):
    fig, update, _ = _figure()
    update(2)
    first = render_png(fig)
    draws = []
    draw = fig.draw
    monkeypatch.setattr(fig, "draw", lambda renderer: draws.append(1) or draw(renderer))
    render_png(fig)
    assert len(draws) == 2, "with a layout engine savefig lays the figure out, then renders it"
    keep_layout(fig)
    draws.clear()
    assert render_png(fig) == first and fig.get_layout_engine() is None
    assert len(draws) == 1, "with the layout kept, a frame is one draw"


def test_bad_explorer_arguments():
    fig, update, _ = _figure()
    with pytest.raises(TypeError, match="matplotlib Figure"):
        explorer("fig", update, {"a": [1]}, lambda **v: str(v))
    with pytest.raises(ValueError, match="at least one control"):
        explorer(fig, update, {}, str)
    with pytest.raises(ValueError, match="not one of its values"):
        explorer(fig, update, {"a": [1, 2]}, lambda **v: str(v), defaults={"a": 5})
    with pytest.raises(ValueError, match="at most 64 frames"):
        explorer(fig, update, {"a": list(range(10)), "b": list(range(10))}, lambda **v: str(v), static=True)
