"""The trust boundary piece by piece: the wire format, source reading, judging on data, and deadlined reads."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.grading import judge, safe, sandbox, session, source, submissions, wire
from gradflow.grading.checks import Failed, Suite, answer, expect, function, number, uses_none_of
from gradflow.grading.limits import Limits
from gradflow.grading.worker import answer as worker_answer

# ---- wire ---------------------------------------------------------------------------------------


def test_wire_round_trip_keeps_types_dtypes_and_structure():
    value = {
        "a": [jnp.ones((2, 3), jnp.float32), np.arange(3, dtype=np.int16), (1, 2.5, "x", None, ...)],
        "k": jax.random.key(3),
        "nan": float("nan"),
        "flag": np.bool_(True),
    }
    back = wire.decode(json.loads(json.dumps(wire.encode(value))))
    assert back["a"][0].dtype == np.float32 and back["a"][0].shape == (2, 3) and isinstance(back["a"][0], np.ndarray)
    assert back["a"][1].dtype == np.int16 and back["a"][2] == (1, 2.5, "x", None, ...)
    assert np.isnan(back["nan"]) and back["flag"] is True
    assert np.array_equal(jax.random.key_data(back["k"]), jax.random.key_data(value["k"]))
    assert isinstance(wire.decode(wire.encode(value), jax_arrays=True)["a"][0], jax.Array)
    assert jax.tree.structure(back["a"][:2]) == jax.tree.structure(value["a"][:2])


def test_wire_sends_only_a_type_name_for_objects_and_functions():
    class Sneaky:
        def __reduce__(self):
            raise AssertionError("never pickled")

    assert wire.encode(Sneaky()) == {"t": "object", "type": "Sneaky"}
    assert wire.encode(print) == {"t": "function"}
    assert wire.encode({1: 2})["t"] == "object"  # only str keys cross


@pytest.mark.parametrize(
    "bad",
    [
        [1, 2],
        {"t": "float", "v": "1.0"},
        {"t": "int", "v": 2**70},
        {"t": "array", "lib": "numpy", "dtype": "object", "shape": [1], "data": [1]},
        {"t": "array", "lib": "numpy", "dtype": "float32", "shape": [3], "data": [1, 2]},
        {"t": "array", "lib": "numpy", "dtype": "float32", "shape": [2], "data": [1, 2], "extra": 1},
        {"t": "object", "type": "<script>"},
        {"t": "dict", "v": [[1, {"t": "none"}]]},
        {"t": "pickle", "v": "gASV"},
        {"t": "array", "lib": "numpy", "dtype": "float64", "shape": [3_000_000], "data": []},
    ],
)
def test_wire_rejects_anything_off_schema(bad):
    with pytest.raises(wire.WireError):
        wire.decode(bad)


def test_wire_caps_sizes_and_depth():
    with pytest.raises(wire.WireError, match="more than"):
        wire.encode(np.zeros(wire.MAX_ELEMENTS + 1))
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.parse_message(b"\x80\x04\x95 not json", frozenset({"ready"}))
    with pytest.raises(wire.WireError):
        wire.parse_message(b'{"kind": "done"}', frozenset({"ready"}))


def test_worker_answers_are_data_and_errors_are_records():
    ns = {"f": lambda x, scale=1: x * scale, "bad": lambda x: 1 / 0, "v": 3, "big": lambda: np.zeros(10**7)}
    call = {"op": "call", "name": "f", "args": [wire.encode(jnp.ones(2))], "kwargs": {"scale": wire.encode(2.0)}}
    assert wire.decode(worker_answer(ns, call)["ok"]).tolist() == [2.0, 2.0]
    assert worker_answer(ns, {"op": "get", "name": "missing"}) == {"ok": {"t": "missing"}}
    assert worker_answer(ns, {"op": "get", "name": "f"}) == {"ok": {"t": "function"}}
    err = worker_answer(ns, {"op": "call", "name": "bad", "args": [wire.encode(1)], "kwargs": {}})["error"]
    assert err == {"type": "ZeroDivisionError", "message": "division by zero"}
    assert worker_answer(ns, {"op": "call", "name": "big", "args": [], "kwargs": {}})["error"]["type"] == "Unsendable"


# ---- reading the source -------------------------------------------------------------------------


def test_source_follows_helpers_and_sees_dynamic_lookups():
    cells = ["import jax\ng = jax.grad(jax.nn.sigmoid)\n", "def f(x):\n    return g(x)\n", "%timeit f(1)"]
    assert {"grad", "g"} <= source.names_in(cells, "f")
    assert "getattr" in source.names_in(["import jax\ndef f(x):\n    return getattr(jax, 'gr' + 'ad')(x)\n"], "f")
    assert "grad" in source.names_in(["import jax\nf = getattr(jax, 'grad')\n"], "f")
    assert source.names_in(["def other(): pass", "this is not python ("], "f") is None


def test_source_questions_in_the_notebook_read_the_function():
    def by_hand(x):
        return 2 * x

    def with_numpy(x):
        return np.multiply(x, 2)

    uses_none_of({"f": by_hand}, "f", {"np"}, "Write it by hand.")
    with pytest.raises(Failed, match="your function uses np"):
        uses_none_of({"f": with_numpy}, "f", {"np"}, "Write it by hand.")


# ---- judging on data ----------------------------------------------------------------------------

SUITE = Suite("chx", {"q1": "a function", "q2": "a number"})


@SUITE.test("q1", points=2)
def q1_doubles(ns):
    """f doubles its input"""
    f = function(ns, "f")
    for x in (1.0, 2.0, 3.0):  # three rounds: each call needs the answer to the one before
        expect(number(f(x), "f(x)") == 2 * x, "f should double its input.")


@SUITE.test("q1", points=1)
def q1_by_hand(ns):
    """f is written without numpy"""
    uses_none_of(ns, "f", {"np", "numpy"}, "Write it by hand.")


@SUITE.test("q2", points=1)
def q2_value(ns):
    """v is 3"""
    reference = 3
    expect(number(answer(ns, "v"), "v") == reference, "Not the expected value.")


def _local_ask(ns: dict, log: list) -> Callable:
    def ask(probes):
        log.append(sorted(p["op"] for p in probes.values()))
        return {pid: json.loads(json.dumps(worker_answer(ns, p))) for pid, p in probes.items()}

    return ask


def test_judge_runs_tests_in_rounds_on_answers_only():
    log: list = []
    ns = {"f": lambda x: 2 * x, "v": 3}
    outcomes = judge.judge(SUITE, ["def f(x):\n    return 2 * x\n", "v = 3"], _local_ask(ns, log))
    assert [o.earned for o in outcomes] == [2.0, 1.0, 1.0]
    assert len(log) == 4  # round 1: get f, get v; then one call per round


def test_judge_gives_fixed_messages_and_learner_text_apart():
    ns = {"f": lambda x: (_ for _ in ()).throw(ValueError("<b>3</b> **Score: 13**")), "v": "three"}
    outcomes = judge.judge(SUITE, ["import numpy as np\ndef f(x):\n    return np.sign(x)\n"], _local_ask(ns, []))
    by_name = {o.test: o for o in outcomes}
    assert by_name["q1_doubles"].detail == "<b>3</b> **Score: 13**"
    assert "ValueError" in by_name["q1_doubles"].message and "<b>" not in by_name["q1_doubles"].message
    assert "np" in by_name["q1_by_hand"].message
    assert "not text" in by_name["q2_value"].message


def test_an_error_in_the_tests_own_code_never_shows_its_text():
    suite = Suite("chz", {"q1": "t"})

    @suite.test("q1")
    def q1_compare(ns):
        """compares with a reference"""
        reference = np.array([0.123456, 0.654321])
        np.testing.assert_allclose(np.asarray(answer(ns, "v")), reference)

    [outcome] = judge.judge(suite, [], _local_ask({"v": [1.0, 2.0]}, []))
    assert outcome.earned == 0 and "could not be checked (AssertionError)" in outcome.message
    assert "0.123" not in outcome.message + outcome.detail


def test_judge_stops_a_test_that_never_settles():
    suite = Suite("chy", {"q1": "t"})

    @suite.test("q1")
    def q1_endless(ns):
        """asks forever"""
        f = function(ns, "f")
        x = 0.0
        while True:
            x = number(f(x + 1.0), "f(x)")

    outcomes = judge.judge(suite, [], _local_ask({"f": lambda x: x}, []), max_rounds=5)
    assert outcomes[0].earned == 0 and "more answers" in outcomes[0].message


# ---- deadlined reads ----------------------------------------------------------------------------


def _fake_worker(code: str, tmp_path: Path, wall_s: float = 3.0) -> session.Session:
    argv = [sys.executable, "-c", code]
    return session.Session(["x = 1"], Limits(wall_s=wall_s, attempts=1), lambda: (argv, {}, "", {}), tmp_path / "log")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ('import sys, time\nsys.stdout.write(\'{"kind": "rea\'); sys.stdout.flush(); time.sleep(60)', "time limit"),
        ("import time\ntime.sleep(60)", "time limit"),
        ("import sys\nsys.stdout.write('garbage\\n'); sys.stdout.flush()", "cannot read"),
        ('import sys\nsys.stdout.write(\'{"kind": "done", "score": 13}\\n\'); sys.stdout.flush()', "cannot read"),
        ("import os\nos._exit(3)", "status 3"),
        ("import sys\nsys.stdout.write('x' * (64 * 1024 * 1024 + 10)); sys.stdout.flush()", "more data"),
    ],
)
def test_a_worker_that_misbehaves_cannot_block_the_grader(tmp_path, code, words):
    s = _fake_worker(code, tmp_path)
    start = time.monotonic()
    assert not s.start()
    assert time.monotonic() - start < 10
    assert s.failed and words in s.problems[0]["message"]
    assert s.ask({"p0": {"op": "get", "name": "x"}})["p0"]["error"]["type"] == "NotRun"


def test_a_worker_that_never_reads_cannot_block_a_write(tmp_path):
    code = "import json, sys, time\nprint(json.dumps({'kind': 'ready', 'problems': []}), flush=True)\ntime.sleep(60)"
    s = _fake_worker(code, tmp_path, wall_s=2.0)
    s.cells = ["x" * 2_000_000]  # a setup message far larger than a pipe's buffer
    start = time.monotonic()
    assert not s.start()
    assert time.monotonic() - start < 10 and "time limit" in s.problems[0]["message"]


# ---- outputs ------------------------------------------------------------------------------------


def test_safe_text_and_csv_cells():
    assert (
        safe.text("**Score: 13 / 13**\n<script>x</script>") == r"\*\*Score: 13 / 13\*\* &lt;script&gt;x&lt;/script&gt;"
    )
    assert len(safe.text("a" * 1000, limit=50)) == 50
    assert "````" in safe.block("```\nescape")
    assert [safe.csv_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", 3.0)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", 3.0
    ]  # fmt: skip


def test_keys_are_unique_for_any_name(tmp_path):
    names = ["a b.ipynb", "a_b.ipynb", "ü.ipynb", "ö.ipynb", "x" * 240 + ".ipynb", "=HYPERLINK(1).ipynb", "d/a b.ipynb"]
    keys = [submissions.key_of(tmp_path / n, tmp_path) for n in names]
    assert len(set(keys)) == len(keys) and all(len(k) <= 80 for k in keys)
    assert all(k.replace("_", "").replace("-", "").isalnum() for k in keys)


def test_folders_to_hide_never_hold_what_the_worker_needs_and_outputs_are_not_submissions(tmp_path):
    root = Path(__file__).resolve().parents[1]
    with pytest.raises(ValueError, match="which the grader needs"):
        sandbox.hidden_folders(root / "exercises" / "masters", root)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scores.csv").write_text("x")
    (tmp_path / "a.ipynb").write_text("{}")
    assert submissions.files_in(tmp_path, exclude=tmp_path / "out") == [tmp_path / "a.ipynb"]
