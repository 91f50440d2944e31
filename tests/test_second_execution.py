"""Every claim holds in a second execution: another seed set, and XLA limited to the SSE4.2 instruction set.

The book is built from seed set 0 on one CPU. Here every chapter runs again with
``GRADFLOW_SEED_SET=1`` (other keys, batches and data split) and
``XLA_FLAGS=--xla_cpu_max_isa=SSE4_2`` (other machine code, so other last bits), as
``tools/second_execution.py`` does (started beside the book build by ``conftest.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradflow import claims

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import second_execution as tool  # noqa: E402

CHAPTERS = [c.stem for c in tool.chapters()]


@pytest.fixture(scope="session")
def rerun(second_execution, book) -> dict[str, dict]:
    """{chapter: result} of the second execution (started beside the book build by conftest), once it has finished."""
    proc, out, log = second_execution
    if proc is not None:
        try:
            proc.wait(timeout=1800)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the second execution did not finish in 30 minutes; its log: {log}")
    return {r["chapter"]: r for r in (json.loads(p.read_text()) for p in Path(out).glob("*.json"))}


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_claim_holds_for_other_seeds_and_instruction_set(chapter, rerun):
    assert chapter in rerun, f"{chapter} was not executed a second time"
    result = rerun[chapter]
    assert not result["problems"], "\n".join(result["problems"])
    expected = {c.id for c in claims.load(ROOT / "chapters").claims if c.chapter.endswith(chapter)}
    assert expected <= set(result["claims"]), f"not glued in the second execution: {expected - set(result['claims'])}"
    failed = [r["message"] for r in result["claims"].values() if not r["ok"]]
    assert not failed, "\n".join(failed)


def test_the_second_execution_changes_the_seed_set_and_the_instruction_set(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=1 --xla_cpu_max_isa=AVX2")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/somewhere")
    env = tool.environment(1, "SSE4_2")
    assert env["GRADFLOW_SEED_SET"] == "1" and "JAX_COMPILATION_CACHE_DIR" not in env
    assert env["XLA_FLAGS"].split() == ["--xla_force_host_platform_device_count=1", "--xla_cpu_max_isa=SSE4_2"]
    with pytest.raises(ValueError, match="another seed set"):
        tool.execute_all(Path("/nonexistent"), seed_set=0)
    assert CHAPTERS[0].startswith("01_") and len(CHAPTERS) == 11


PROGRAM = """
import hashlib, jax, jax.numpy as jnp, numpy as np
@jax.jit
def f(w, x):
    h, _ = jax.lax.scan(lambda h, _: (jnp.tanh(h @ w), None), x, None, length=50)
    return h
w = jax.random.normal(jax.random.key(0), (64, 64)) / 8
x = jax.random.normal(jax.random.key(1), (16, 64))
print(hashlib.sha1(np.asarray(f(w, x)).tobytes()).hexdigest())
"""


def run_with_isa(isa: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, XLA_FLAGS=f"--xla_cpu_max_isa={isa}" if isa else "")
    return subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)


def cpu_has_avx() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.exists() and " avx" in cpuinfo.read_text()


def test_the_instruction_set_flag_takes_effect():
    """XLA only warns about an ISA it does not know; SSE4_2 must be known, and change the code it generates."""
    bogus = run_with_isa("NOT_AN_ISA")
    assert "Unknown CPU ISA" in bogus.stderr, "XLA no longer warns about an unknown ISA: update this test"
    sse = run_with_isa("SSE4_2")
    assert "Unknown CPU ISA" not in sse.stderr, sse.stderr
    if not cpu_has_avx():
        pytest.skip("this CPU has no AVX: SSE4_2 is its own instruction set, nothing to compare")
    native = run_with_isa(None)
    assert sse.stdout != native.stdout, "a jitted tanh/matmul loop gave the same bits with and without SSE4_2"
    assert len(sse.stdout.strip()) == len(hashlib.sha1().hexdigest())
