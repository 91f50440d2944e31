"""The course's checked claims: read from the chapters' ``*.claims.toml`` files, checked where they are glued.

A :class:`Claim` is a number a chapter computes and glues under the claim's id
(``claims.glue(id, value)``). ``glue`` checks the value against the claim first and
raises :class:`ClaimFailed` when it fails, so the book cannot be built with a false
number in its prose; ``tests/test_claims.py`` checks every glued value again. A
:class:`SeedClaim` is what a source article says, with the course's verdict and the
claims holding the evidence; the page "What the source articles got right and wrong"
is generated from them (:func:`claims_markdown`).

The data lives beside each chapter, in ``chapters/<chapter>.claims.toml`` (``[[claim]]``
and ``[[verdict]]`` tables), not in the library: editing a claim's wording or
tolerance re-executes nothing. Claim ids are ``ch<N>-<what>``.
"""

from __future__ import annotations

import functools
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["equal", "at_most", "at_least", "between"]
SUFFIX = ".claims.toml"
ENV = "GRADFLOW_CLAIMS_DIR"  # the folder of the claim files; the book build sets it for its kernels


@dataclass(frozen=True)
class Claim:
    """A number the course shows, checked against ``expected``.

    kind "equal": |value - expected| <= rtol * |expected| + atol;
    "at_most"/"at_least": value <= / >= expected;
    "between": expected[0] <= value <= expected[1].
    ``chapter`` is the docname that shows it and ``label`` the MyST target of the section.
    """

    id: str
    statement: str
    kind: Kind
    expected: float | tuple[float, float]
    chapter: str
    label: str
    rtol: float = 0.0
    atol: float = 0.0

    def check(self, value: float) -> tuple[bool, str]:
        """(passed, message) for a computed ``value``."""
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return False, f"{self.id}: {self.statement} -- computed value {value!r} is not a finite number"
        e = self.expected
        if self.kind == "equal":
            ok = abs(value - e) <= self.rtol * abs(e) + self.atol
            want = f"{e:.6g} (rtol {self.rtol:g}, atol {self.atol:g})"
        elif self.kind == "at_most":
            ok, want = value <= e, f"<= {e:.6g}"
        elif self.kind == "at_least":
            ok, want = value >= e, f">= {e:.6g}"
        else:
            ok, want = e[0] <= value <= e[1], f"in [{e[0]:.6g}, {e[1]:.6g}]"
        return ok, f"{self.id}: {self.statement} -- computed {value:.6g}, expected {want}"

    @property
    def expected_text(self) -> str:
        e = self.expected
        if self.kind == "equal":
            tol = []
            if self.rtol:
                tol.append(f"rel. {self.rtol:g}")
            if self.atol:
                tol.append(f"abs. {self.atol:g}")
            return f"{e:.4g}" + (f" ± {', '.join(tol)}" if tol else " exactly")
        if self.kind == "between":
            return f"between {e[0]:.3g} and {e[1]:.3g}"
        return f"{'≤' if self.kind == 'at_most' else '≥'} {e:.3g}"


@dataclass(frozen=True)
class SeedClaim:
    """What a source article claims, the course's verdict, and the claims holding the evidence."""

    seeds: str
    says: str
    verdict: Literal["right", "wrong", "loose"]
    finding: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimSet:
    """Every claim and every source-article verdict of the course, in chapter order."""

    claims: tuple[Claim, ...]
    verdicts: tuple[SeedClaim, ...]

    def by_id(self) -> dict[str, Claim]:
        """Claims keyed by id."""
        return {c.id: c for c in self.claims}


def _claim(entry: dict, chapter: str, where: Path) -> Claim:
    try:
        expected = entry["expected"]
        expected = (float(expected[0]), float(expected[1])) if isinstance(expected, list) else float(expected)
        return Claim(
            id=entry["id"],
            statement=entry["statement"],
            kind=entry["kind"],
            expected=expected,
            chapter=chapter,
            label=entry["label"],
            rtol=float(entry.get("rtol", 0.0)),
            atol=float(entry.get("atol", 0.0)),
        )
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ValueError(
            f"{where}: a [[claim]] needs id, statement, kind, expected and label ({err!r}): {entry}"
        ) from None


def _verdict(entry: dict, where: Path) -> SeedClaim:
    try:
        return SeedClaim(entry["sources"], entry["says"], entry["verdict"], entry["finding"], tuple(entry["evidence"]))
    except (KeyError, TypeError) as err:
        raise ValueError(
            f"{where}: a [[verdict]] needs sources, says, verdict, finding and evidence ({err!r})"
        ) from None


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple) -> ClaimSet:
    claims, verdicts = [], []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        chapter = f"{directory.name}/{path.name.removesuffix(SUFFIX)}"
        claims += [_claim(entry, chapter, path) for entry in data.get("claim", [])]
        verdicts += [_verdict(entry, path) for entry in data.get("verdict", [])]
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {directory}: {sorted({i for i in ids if ids.count(i) > 1})}")
    return ClaimSet(tuple(claims), tuple(verdicts))


def load(directory: str | Path | None = None) -> ClaimSet:
    """The claims of every ``*.claims.toml`` file in ``directory`` (default: :func:`find_directory`)."""
    found = find_directory() if directory is None else Path(directory)
    if found is None or not found.is_dir():
        raise FileNotFoundError(f"no folder of claim files (*{SUFFIX}) found; got {directory!r}")
    files = sorted(found.glob(f"*{SUFFIX}"))
    if not files:
        raise FileNotFoundError(f"{found} holds no claim files (*{SUFFIX})")
    return _load(found.resolve(), tuple((f.name, f.stat().st_mtime_ns) for f in files))


def find_directory(start: str | Path | None = None) -> Path | None:
    """Where the claim files are: ``$GRADFLOW_CLAIMS_DIR``, else ``start`` (default: the working directory),
    its ``chapters/`` folder, or one of its parents' ``chapters/``; None when there are none (a learner's copy)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, here / "chapters", *(p / "chapters" for p in here.parents)):
        if folder.is_dir() and any(folder.glob(f"*{SUFFIX}")):
            return folder
    return None


GLUE_PREFIX = "application/papermill.record/"  # myst_nb's prefix for glued, undisplayed values


class ClaimFailed(ValueError):
    """A chapter computed a value that its claim rejects (or one that is not a finite number)."""


def glue(claim_id: str, value: float) -> None:
    """Check ``value`` against the claim ``claim_id``, then glue it for the text and the tests.

    Raises :class:`ClaimFailed` (with the claim's statement, the value and what was
    expected) when the check fails, so a chapter whose prose would state a false or
    non-finite number stops the book build instead of publishing it. Where no claim files
    are found (a learner's downloaded notebook) the value is glued unchecked.
    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{claim_id}: glue needs one number; got {type(value).__name__}") from None
    directory = find_directory()
    if directory is not None:  # a learner's copy of a chapter, without the claim files, glues unchecked
        claim = load(directory).by_id().get(claim_id)
        if claim is None:
            raise KeyError(f"unknown claim id {claim_id!r}; add it to the chapter's {SUFFIX} file in {directory}")
        ok, message = claim.check(value)
        if not ok:
            raise ClaimFailed(message)
    # What myst_nb.glue(claim_id, value, display=False) displays (tests/test_claims.py checks it),
    # written out: calling myst_nb's imports nbformat, whose JSON-schema validator compiles dozens
    # of grammars on import, about 2 s of every chapter's execution.
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = {"name": claim_id, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def _link(claim: Claim) -> str:
    number = claim.chapter.split("/")[-1].split("_", 1)[0].lstrip("0")
    return f"{{ref}}`chapter {number} <{claim.label}>`"


def claims_markdown(claim_set: ClaimSet | None = None) -> str:
    """The tables of the claims page, as MyST Markdown."""
    claim_set = load() if claim_set is None else claim_set
    table = claim_set.by_id()
    verdict = {"right": "✅ right", "wrong": "❌ wrong", "loose": "⚠️ loose"}
    rows = [
        "| Source | The article says | Verdict | What the course shows | Evidence (chapter) | Test |",
        "|---|---|---|---|---|---|",
    ]
    for s in claim_set.verdicts:
        links = ", ".join(sorted({_link(table[i]) for i in s.evidence})) or "not yet shown by a chapter"
        tests = ", ".join(f"`{i}`" for i in s.evidence) or "—"
        rows.append(f"| {s.seeds} | {s.says} | {verdict[s.verdict]} | {s.finding} | {links} | {tests} |")
    out = ["## Source-article claims", "", *rows, "", "## Every checked number", ""]
    out += ["| Claim id | Statement | Expected | Shown in |", "|---|---|---|---|"]
    for c in claim_set.claims:
        out.append(f"| `{c.id}` | {c.statement} | {c.expected_text} | {_link(c)} |")
    return "\n".join(out) + "\n"
