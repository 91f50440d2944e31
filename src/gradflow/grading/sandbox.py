"""How a worker is started: inside a bubblewrap sandbox (the default), or as a plain process (``--sandbox none``).

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) the worker sees the system and the project read-only,
has no network (only its own loopback), a private size-capped ``/tmp`` (its working folder and home are there; the
only other writable place is a small ``/dev/shm``, so learner code cannot fill the grading machine's memory), its
own process, IPC and user namespaces (it runs as ``nobody`` with no capabilities), and it cannot see the folders
the grader hides: the masters (hidden tests), the submissions, the output, the project's ``.git``, ``/run``
(local sockets) and the home folders (but for the Python installation and ``gradflow`` inside them). Nothing it writes survives it. ``--die-with-parent`` and the PID namespace mean that killing the
sandbox kills every process the learner started, even one in its own session.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import gradflow

KINDS = ("bwrap", "none")
INSTALL_HINT = (
    "install it with `sudo apt-get install bubblewrap` (Debian, Ubuntu; `dnf install bubblewrap` on Fedora), "
    "or grade without a sandbox with `--sandbox none` (only for submissions you trust)"
)
MiB = 1024 * 1024
SHM_MB = 64
WORK = "/tmp/work"
HOME = "/tmp/home"
CACHE = "/tmp/jax-cache"
SEED = "/tmp/.jax-seed"
WARNING = (
    "WARNING: grading without a sandbox (--sandbox none): learner code runs as you, can read and write your files "
    "(the hidden tests included), use the network and leave processes behind. Use it only for trusted submissions."
)


class SandboxError(RuntimeError):
    """The sandbox cannot be used here; the message says how to fix it."""


@dataclass(frozen=True)
class Sandbox:
    """Where and how workers run: ``kind`` is "bwrap" or "none"; ``hidden`` folders are not visible inside."""

    kind: str = "bwrap"
    hidden: tuple[Path, ...] = field(default=())
    tmp_mb: int = 512

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"sandbox must be one of {KINDS}; got {self.kind!r}")


def _python_path() -> str:
    """The folder holding the ``gradflow`` that this grader runs, so the worker imports the same code."""
    return str(Path(gradflow.__file__).resolve().parents[1])


def environment(home: str, tmp: str) -> dict[str, str]:
    """The worker's whole environment (nothing of the grader's leaks in)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "PYTHONPATH": _python_path(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "GRADFLOW_GRADING": "1",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    }


def _bwrap_args(tmp_mb: int) -> list[str]:
    return [
        "--ro-bind", "/", "/",
        "--dev", "/dev", "--size", str(SHM_MB * MiB), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
        "--proc", "/proc",
        "--size", str(tmp_mb * MiB), "--tmpfs", "/tmp",
        "--tmpfs", "/run", "--remount-ro", "/run",
        "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
        "--die-with-parent", "--new-session", "--cap-drop", "ALL",
    ]  # fmt: skip


@functools.cache
def check_bwrap() -> None:
    """Raise :class:`SandboxError` (saying how to fix it) unless ``bwrap`` is installed and works here."""
    exe = shutil.which("bwrap")
    if exe is None:
        raise SandboxError(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}.")
    try:
        run = subprocess.run([exe, *_bwrap_args(16), "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"bubblewrap could not start ({exc}): {INSTALL_HINT}.") from None
    if run.returncode != 0 and "nknown option" in run.stderr:
        raise SandboxError(
            f"bubblewrap 0.7 or later is needed ({run.stderr.strip()[:200]}): upgrade it, {INSTALL_HINT}."
        )
    if run.returncode != 0:
        raise SandboxError(
            f"bubblewrap cannot create a sandbox here ({run.stderr.strip()[:300]}). It needs user namespaces: "
            "enable them (sysctl kernel.unprivileged_userns_clone=1), or in Docker run the grader with "
            "`--security-opt seccomp=unconfined --security-opt apparmor=unconfined`; or grade without a sandbox "
            "with `--sandbox none` (only for submissions you trust)."
        )


def command(
    sandbox: Sandbox, scratch: Path, seed: Path | None, keep_cache: Path | None = None
) -> tuple[list[str], dict[str, str], str, dict]:
    """(argv, environment, working folder, JAX cache setup) for a worker whose own files go under ``scratch``.

    The worker's JAX cache starts as a copy of ``seed`` (if any) and dies with it, unless ``keep_cache`` names a folder
    to write it to (only for the trusted master notebook, which fills the seed).
    """
    worker = [sys.executable, "-m", "gradflow.grading.worker"]
    seed_text = str(seed) if seed else None
    if sandbox.kind == "none":
        env = environment(str(scratch / "home"), str(scratch / "tmp"))
        (scratch / "tmp").mkdir(parents=True, exist_ok=True)
        cache = {"dir": str(keep_cache or scratch / "jax-cache"), "seed": None if keep_cache else seed_text}
        return worker, env, str(scratch / "work"), cache
    check_bwrap()
    args = ["bwrap", *_bwrap_args(sandbox.tmp_mb)]
    homes = private_homes()
    args += [a for home in homes for a in ("--tmpfs", str(home))]
    covered = [*homes, Path("/tmp")]  # hidden by the tmpfs mounts above: show again what the worker needs in them
    args += [
        a for p in needed_paths() if any(p.is_relative_to(h) for h in covered) for a in ("--ro-bind", str(p), str(p))
    ]
    for folder in sandbox.hidden:
        if folder.is_dir() and not folder.resolve().is_relative_to("/tmp"):
            args += ["--tmpfs", str(folder.resolve())]
    if keep_cache is not None:
        args += ["--bind", str(keep_cache), CACHE]
    elif seed is not None:
        args += ["--ro-bind", str(seed), SEED]
    args += ["--chdir", "/tmp"]
    cache = {"dir": CACHE, "seed": SEED if seed and keep_cache is None else None}
    return [*args, *worker], environment(HOME, "/tmp"), WORK, cache


def private_homes() -> list[Path]:
    """Home folders learner code must not read (``/root``, ``/home``, the grader's home)."""
    homes = {Path("/root"), Path("/home"), Path.home()}
    found = {h.resolve() for h in homes if h.is_dir()}
    return sorted(h for h in found if h != Path("/") and not h.is_relative_to("/tmp"))


def needed_paths() -> list[Path]:
    """What the worker needs to run Python and import gradflow (not the current folder): shown again inside a hidden
    home or under the private ``/tmp`` (a project cloned under /tmp, with its environment, still runs)."""
    here = Path.cwd().resolve()
    entries = [p for p in (sys.prefix, sys.base_prefix, _python_path(), *sys.path) if p]
    paths = sorted({Path(p).resolve() for p in entries} - {here} | {Path(_python_path())})
    return [p for p in paths if p.exists() and not any(p != q and p.is_relative_to(q) for q in paths)]


def _git_dir(dot_git: Path) -> Path | None:
    """The repository folder that ``dot_git`` is or points to (a worktree's ``.git`` file names it)."""
    if dot_git.is_dir():
        return dot_git.resolve()
    if not dot_git.is_file():
        return None
    text = dot_git.read_text(errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    git = (dot_git.parent / text.removeprefix("gitdir:").strip()).resolve()
    common = git / "commondir"
    return (git / common.read_text().strip()).resolve() if common.is_file() else git


def hidden_folders(*folders: Path) -> tuple[Path, ...]:
    """The folders to hide from learner code: those given, and the ``.git`` of the project holding the first.

    Raises ValueError if one of them holds the Python environment or ``gradflow`` (the worker needs both).
    """
    found = [f.resolve() for f in folders]
    for folder in found:
        clash = [str(n) for n in needed_paths() if n.is_relative_to(folder)]
        if clash:
            raise ValueError(f"{folder} holds {clash[0]}, which the grader needs: use separate folders")
    for parent in found[0].parents if found else []:
        git = _git_dir(parent / ".git")
        if git is not None:
            found.append(git)
            break
    return tuple(found)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its descendants (and their reaped children), from ``/proc``."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            total += sum(int(f) for f in fields[11:15]) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def kill(pid: int) -> None:
    """Kill the process group ``pid`` leads (a sandbox: everything in it dies with it)."""
    for send in (lambda: os.killpg(pid, 9), lambda: os.kill(pid, 9)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            send()
