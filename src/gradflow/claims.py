"""Every checked claim of the course, in one place.

A :class:`Claim` is a number a chapter computes and glues under the claim's
id; ``tests/test_claims.py`` reads the executed notebooks and checks each
glued value against ``expected`` with the stated tolerance. A
:class:`SeedClaim` is what a source article says, with the course's verdict
and the claims that hold the evidence. The page "What the source articles
got right and wrong" is generated from this module (:func:`claims_markdown`).

Chapters add their claims here; the ids are ``ch<N>-<what>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["equal", "at_most", "at_least", "between"]


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
            return False, f"{self.id}: computed value {value!r} is not a finite number"
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


CH1 = "chapters/01_why_networks_stop_learning"
CH2 = "chapters/02_backpropagation"

CLAIMS: tuple[Claim, ...] = (
    # Chapter 1: a deep sigmoid net stalls, a shallow one and a He-initialized ReLU net train.
    Claim("ch1-deep-sigmoid-final-loss", "a 10-layer sigmoid MLP stays at the chance loss ln 10 = 2.303 after 500 SGD steps", "equal", math.log(10), CH1, "ch1-plateau", rtol=0.02),
    Claim("ch1-shallow-sigmoid-final-loss", "a 1-hidden-layer sigmoid MLP trains well below chance in the same 500 steps", "at_most", 0.5, CH1, "ch1-plateau"),
    Claim("ch1-relu-he-final-loss", "a 10-layer ReLU MLP with He initialization trains well below chance in the same 500 steps", "at_most", 0.5, CH1, "ch1-plateau"),
    Claim("ch1-deep-sigmoid-first-last-ratio", "in the 10-layer sigmoid net the first layer's weight gradient is below 1e-4 of the last layer's at initialization", "at_most", 1e-4, CH1, "ch1-gradients"),
    Claim("ch1-relu-he-first-last-ratio", "in the He-initialized ReLU net the first and last layers' weight gradients are within a factor 10", "between", (0.1, 10.0), CH1, "ch1-gradients"),
    Claim("ch1-deep-sigmoid-first-weight-change", "the sigmoid net's first-layer weights move by less than 0.1% of their norm in 500 steps", "at_most", 1e-3, CH1, "ch1-weights"),
    # Chapter 2: backprop by hand, by jax.grad and by finite differences; gradient descent on a quadratic.
    Claim("ch2-dJ-dw1", "dJ/dw1 of the worked example (the classic value 0.000438568)", "equal", 0.000438568, CH2, "ch2-both-paths", rtol=1e-4),
    Claim("ch2-hand-vs-jax-rel", "hand-written backprop agrees with jax.grad in float32", "at_most", 1e-5, CH2, "ch2-three-ways"),
    Claim("ch2-fd64-vs-jax-rel", "central finite differences in float64 agree with autodiff", "at_most", 1e-6, CH2, "ch2-three-ways"),
    Claim("ch2-fd32-typical-rel", "in float32, finite differences with sensible step sizes (1e-3 to 0.1) are only good to about 1e-3 (median)", "between", (1e-4, 1e-1), CH2, "ch2-float32"),
    Claim("ch2-single-path-rel", "following only the path through O1 (as source 000 does) gets dJ/dw1 wrong by more than 10%", "at_least", 0.1, CH2, "ch2-both-paths"),
    Claim("ch2-critical-lr", "gradient descent on the quadratic with eigenvalues 1 and 10 converges iff lr < 2/10", "equal", 0.2, CH2, "ch2-descent", rtol=1e-6),
    Claim("ch2-loss-below-critical", "at lr = 0.95 x 2/lambda_max the loss after 200 steps is tiny", "at_most", 1e-6, CH2, "ch2-descent"),
    Claim("ch2-loss-above-critical", "at lr = 1.05 x 2/lambda_max the loss after 200 steps has grown", "at_least", 1e3, CH2, "ch2-descent"),
)  # fmt: skip

SEED_CLAIMS: tuple[SeedClaim, ...] = (
    SeedClaim("000, 004", "The loss stops decreasing and the weights stop updating.", "right",
              "A 10-layer sigmoid MLP on the digits sits at the chance loss while its first layer's weights barely move.",
              ("ch1-deep-sigmoid-final-loss", "ch1-deep-sigmoid-first-weight-change")),
    SeedClaim("000, 004", "Detect it by a flat loss and by plotting the weights against epochs.", "right",
              "Both plots are drawn for the stalled net and for two nets that train.", ("ch1-deep-sigmoid-first-weight-change",)),
    SeedClaim("000, 004", "The chain rule: dO1/dw1 = dO1/dw5 · dw5/dh1 · dh1/dw1.", "wrong",
              "The middle factor is d net_o1/d h1 = w5 (w5 does not depend on h1), and the loss depends on w1 through O2 as well: "
              "following O1 alone gets dJ/dw1 wrong by about half.", ("ch2-dJ-dw1", "ch2-single-path-rel")),
    SeedClaim("001", "Gradient descent updates w by the learning rate times the gradient; too small wastes iterations, too large overshoots.", "right",
              "On a quadratic, descent converges iff 0 < lr < 2/λ_max; just above, it diverges.", ("ch2-critical-lr", "ch2-loss-below-critical", "ch2-loss-above-critical")),
    SeedClaim("001", "With many layers, the first layers barely learn.", "right",
              "In the 10-layer sigmoid net the first layer's weight gradient is about a millionth of the last layer's.", ("ch1-deep-sigmoid-first-last-ratio",)),
)  # fmt: skip


def by_id() -> dict[str, Claim]:
    """Claims keyed by id (ids are unique)."""
    table = {c.id: c for c in CLAIMS}
    if len(table) != len(CLAIMS):
        raise ValueError("duplicate claim ids")
    return table


def glue(claim_id: str, value: float) -> None:
    """Glue ``value`` under ``claim_id`` (which must be a known claim) for the text and the tests."""
    if claim_id not in by_id():
        raise KeyError(f"unknown claim id {claim_id!r}; add it to gradflow.claims.CLAIMS first")
    value = float(value)
    from myst_nb import glue as _glue

    _glue(claim_id, value, display=False)


def _link(claim: Claim) -> str:
    number = claim.chapter.split("/")[-1].split("_", 1)[0].lstrip("0")
    return f"{{ref}}`chapter {number} <{claim.label}>`"


def claims_markdown() -> str:
    """The tables of the claims page, as MyST Markdown."""
    table = by_id()
    verdict = {"right": "✅ right", "wrong": "❌ wrong", "loose": "⚠️ loose"}
    rows = [
        "| Source | The article says | Verdict | What the course shows | Evidence (chapter) | Test |",
        "|---|---|---|---|---|---|",
    ]
    for s in SEED_CLAIMS:
        links = ", ".join(sorted({_link(table[i]) for i in s.evidence})) or "not yet shown by a chapter"
        tests = ", ".join(f"`{i}`" for i in s.evidence) or "—"
        rows.append(f"| {s.seeds} | {s.says} | {verdict[s.verdict]} | {s.finding} | {links} | {tests} |")
    out = ["## Source-article claims", "", *rows, "", "## Every checked number", ""]
    out += ["| Claim id | Statement | Expected | Shown in |", "|---|---|---|---|"]
    for c in CLAIMS:
        out.append(f"| `{c.id}` | {c.statement} | {c.expected_text} | {_link(c)} |")
    return "\n".join(out) + "\n"
