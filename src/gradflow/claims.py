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


CH1 = "chapters/01_why_networks_stop_learning"
CH2 = "chapters/02_backpropagation"
CH3 = "chapters/03_chain_rule_products"
CH4 = "chapters/04_activation_derivatives"
CH5 = "chapters/05_initialization"
CH6 = "chapters/06_batch_normalization"
CH7 = "chapters/07_residual_connections"
CH8 = "chapters/08_recurrent_networks"
CH9 = "chapters/09_exploding_gradients_clipping"
CH10 = "chapters/10_optimizers_schedules"
CH11 = "chapters/11_diagnosing"

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
    # Chapter 3: backprop as a product of Jacobians; scalar, orthogonal and random chains; critical scales; a conv net.
    Claim("ch3-scalar-explode-50", "1.5^50 = 6.4e8", "equal", 6.3749e8, CH3, "ch3-scalar", rtol=1e-3),
    Claim("ch3-scalar-vanish-10", "0.01^10 = 1e-20", "equal", 1e-20, CH3, "ch3-scalar", rtol=1e-6),
    Claim("ch3-orthogonal-max-rel-dev", "in 20-layer linear nets with orthogonal weights scaled by s, ||dL/dh_l|| = s^(L-l) ||dL/dh_L|| to float32 precision (largest relative deviation over layers and 5 scales)", "at_most", 1e-5, CH3, "ch3-matrices"),
    Claim("ch3-orthogonal-last-signal", "the backprop signal at the last hidden layer of the orthogonal net at s = 1 is below one", "at_most", 1.0, CH3, "ch3-matrices"),
    Claim("ch3-orthogonal-ratio-at-1", "... and yet the signal at the input equals it (ratio 1)", "equal", 1.0, CH3, "ch3-matrices", rtol=1e-5),
    Claim("ch3-linear-gain-vs-s", "random Gaussian linear layers (W ~ N(0, s^2/n)): the median gain per layer is s within 5% over scales 0.5-2.8", "at_most", 0.05, CH3, "ch3-random"),
    Claim("ch3-linear-critical", "the critical scale of random linear nets is s = 1", "equal", 1.0, CH3, "ch3-random", rtol=0.03),
    Claim("ch3-scale-15", "the scale used for the 'small weights explode' example", "equal", 1.5, CH3, "ch3-random", rtol=0.05),
    Claim("ch3-max-abs-weight", "at s = 1.5 every weight of the 64-wide linear net is below one in size", "at_most", 1.0, CH3, "ch3-random"),
    Claim("ch3-small-weights-explode", "... yet its backprop signal grows by over 1e3 from the last layer to the input (1.5^20 = 3e3)", "at_least", 1e3, CH3, "ch3-random"),
    Claim("ch3-tanh-critical", "the critical scale of depth-20 random tanh nets (median over 8 seeds) is of order one, a little above the mean-field value 1", "between", (0.95, 1.35), CH3, "ch3-critical"),
    Claim("ch3-relu-critical", "the critical scale of depth-20 random ReLU nets (median over 8 seeds) is sqrt(2)", "equal", 1.41421, CH3, "ch3-critical", rtol=0.05),
    Claim("ch3-relu-critical-spread", "per-seed critical scales of the ReLU nets agree within 15%", "at_most", 1.15, CH3, "ch3-critical"),
    Claim("ch3-cnn-sigmoid-ratio", "in an 8-layer sigmoid conv net the input's backprop signal is below 1e-4 of the last layer's (median over 5 seeds)", "at_most", 1e-4, CH3, "ch3-cnn"),
    Claim("ch3-cnn-relu-ratio", "in the same conv net with ReLU and He init the ratio is within a factor 10 of one (median over 5 seeds)", "between", (0.1, 10.0), CH3, "ch3-cnn"),
    # Chapter 5: variance propagation, the ReLU factor 1/2, initializers by hand, zero-init symmetry, 50-layer ReLU nets over seeds.
    Claim("ch5-linear-gain-rel", "a linear layer multiplies the variance by n_in Var(W) (worst relative error over Var(W) = 0.5, 1, 2 /n_in; median of 8 seeds)", "at_most", 0.03, CH5, "ch5-variance"),
    Claim("ch5-relu-second-moment-factor", "a ReLU keeps half the second moment of a symmetric input: E[relu(z)^2]/E[z^2] = 1/2 (1e6 samples)", "equal", 0.5, CH5, "ch5-variance", rtol=0.01),
    Claim("ch5-relu-variance-factor", "... while its variance is (1/2 - 1/(2 pi)) Var(z) for Gaussian z", "equal", 0.5 - 1 / (2 * math.pi), CH5, "ch5-variance", rtol=0.01),
    Claim("ch5-he-one-layer-gain", "one ReLU layer with Var(W) = 2/n_in keeps the second moment (median of 8 seeds)", "equal", 1.0, CH5, "ch5-variance", rtol=0.05),
    Claim("ch5-hand-vs-target-max-rel", "the hand-written LeCun, Xavier (normal, uniform), He and orthogonal initializers hit their target variance (worst relative error, 512x256)", "at_most", 0.02, CH5, "ch5-schemes"),
    Claim("ch5-jax-vs-target-max-rel", "jax.nn.initializers' counterparts hit the same target variances (worst relative error, 512x256)", "at_most", 0.02, CH5, "ch5-schemes"),
    Claim("ch5-hand-normal-max", "the hand-written (plain Gaussian) He weights reach beyond 3.5 standard deviations", "at_least", 3.5, CH5, "ch5-schemes"),
    Claim("ch5-jax-truncated-max", "jax.nn's He weights are truncated: none beyond 2/0.87962566 = 2.2737 target standard deviations (by construction: checked for every key)", "at_most", 2.2738, CH5, "ch5-schemes"),
    Claim("ch5-xavier-uniform-max-over-bound", "the Xavier uniform weights fill (-a, a), a = sqrt(6/(n_in+n_out)): largest |w|/a", "between", (0.99, 1.0), CH5, "ch5-schemes"),
    Claim("ch5-orthogonal-error", "the hand-written orthogonal matrix satisfies W^T W = I (largest entry of the difference)", "at_most", 1e-5, CH5, "ch5-schemes"),
    Claim("ch5-zero-init-spread", "after 200 gradient-descent steps from zero weights, all hidden units of a sigmoid net still have the same incoming weights up to float32 rounding (largest difference relative to the largest weight)", "at_most", 1e-3, CH5, "ch5-zero"),
    Claim("ch5-zero-init-moved", "... although the weights did move away from zero (norm of the first layer's W)", "at_least", 1e-6, CH5, "ch5-zero"),
    Claim("ch5-zero-init-loss", "the zero-initialized net stays at the chance loss ln 10", "equal", math.log(10), CH5, "ch5-zero", rtol=0.02),
    Claim("ch5-random-init-loss", "the same net from Xavier's random weights trains well below chance", "at_most", 0.5, CH5, "ch5-zero"),
    Claim("ch5-seeds", "number of seeds of the 50-layer experiment", "equal", 24, CH5, "ch5-deep"),
    Claim("ch5-he-median-ratio", "50-layer width-256 ReLU net, He: E[h_50^2]/E[h_0^2] has a median of order one over 24 seeds", "between", (0.2, 2.0), CH5, "ch5-deep"),
    Claim("ch5-he-q10", "... its 10% quantile over seeds", "between", (0.03, 1.0), CH5, "ch5-deep"),
    Claim("ch5-he-q90", "... its 90% quantile over seeds", "between", (0.5, 10.0), CH5, "ch5-deep"),
    Claim("ch5-he-outside-10", "... and few seeds (at most 10%) fall outside a factor 10", "at_most", 0.1, CH5, "ch5-deep"),
    Claim("ch5-lecun-median-ratio", "with Var(W) = 1/n_in the median ratio is about 2^-50 = 9e-16", "between", (1e-16, 3e-15), CH5, "ch5-deep"),
    Claim("ch5-lecun-over-he", "seed by seed, the 1/n_in ratio is 2^-50 times the He one (positive homogeneity of ReLU nets)", "equal", 2.0**-50, CH5, "ch5-deep", rtol=1e-3),
    Claim("ch5-small-median-ratio", "with standard deviation 0.01 the activations at layer 50 underflow (median ratio)", "at_most", 1e-30, CH5, "ch5-deep"),
    Claim("ch5-large-median-ratio", "with 1.2 x He's standard deviation they grow by over 1e6 (1.44^50 = 8e7)", "at_least", 1e6, CH5, "ch5-deep"),
    Claim("ch5-he-signal-ratio", "under He the backprop signal at the input is within a factor 10 of the last hidden layer's (median over 24 seeds)", "between", (0.1, 10.0), CH5, "ch5-gradients"),
    Claim("ch5-lecun-signal-ratio", "under Var(W) = 1/n_in it vanishes by about 2^-25 = 3e-8 (median over 24 seeds)", "between", (3e-9, 3e-7), CH5, "ch5-gradients"),
    Claim("ch5-small-signal-ratio", "under standard deviation 0.01 it vanishes below 1e-30 (median over 24 seeds)", "at_most", 1e-30, CH5, "ch5-gradients"),
    # Chapter 4: derivative bounds of each activation, the (1/4)^L bound, saturation, dead and leaky ReLU units.
    Claim("ch4-sigmoid-max", "sigmoid'(x) = s(x)(1 - s(x)) is at most 1/4", "equal", 0.25, CH4, "ch4-derivatives", rtol=1e-6),
    Claim("ch4-sigmoid-argmax", "... with equality at x = 0 (located to float32 precision)", "equal", 0.0, CH4, "ch4-derivatives", atol=2e-3),
    Claim("ch4-tanh-max", "tanh' is at most 1", "equal", 1.0, CH4, "ch4-derivatives", rtol=1e-6),
    Claim("ch4-gelu-max", "GELU' peaks above 1, at 1.129", "equal", 1.129, CH4, "ch4-derivatives", atol=5e-4),
    Claim("ch4-gelu-argmax", "... at x = sqrt(2)", "equal", 1.41421, CH4, "ch4-derivatives", atol=1e-3),
    Claim("ch4-relu-prime-values", "ReLU' takes exactly two values (0 and 1)", "equal", 2.0, CH4, "ch4-derivatives"),
    Claim("ch4-leaky-prime-min", "leaky ReLU' is never below alpha = 0.01", "equal", 0.01, CH4, "ch4-derivatives", rtol=1e-5),
    Claim("ch4-relu-weight-grad-distinct", "the weight gradient of a ReLU layer takes thousands of distinct values, not just 0 and 1", "at_least", 1000.0, CH4, "ch4-relu-claims"),
    Claim("ch4-relu-weight-grad-zero-or-one", "only a small fraction of a ReLU layer's weight-gradient entries are exactly 0 or 1", "at_most", 0.1, CH4, "ch4-relu-claims"),
    Claim("ch4-quarter-power-10", "(1/4)^10 = 9.5e-7", "equal", 9.5367e-7, CH4, "ch4-bound", rtol=1e-4),
    Claim("ch4-gain-over-bound-max", "the backprop signal gain through 10 sigmoid layers never exceeds (1/4)^10 times the product of the spectral norms (104 random nets)", "at_most", 1.0, CH4, "ch4-bound"),
    Claim("ch4-gain-over-bound-median", "... and is typically far below it (median ratio)", "at_most", 0.1, CH4, "ch4-bound"),
    Claim("ch4-saturated-small-weights", "small weights (s = 0.25) saturate almost no sigmoid units (median over 8 seeds)", "at_most", 0.01, CH4, "ch4-saturation"),
    Claim("ch4-saturated-large-weights", "large weights (s = 10) saturate most sigmoid units (median over 8 seeds)", "at_least", 0.5, CH4, "ch4-saturation"),
    Claim("ch4-mean-slope-small-weights", "with small weights the mean sigmoid derivative is its maximum, 1/4 (linear middle)", "between", (0.24, 0.25), CH4, "ch4-saturation"),
    Claim("ch4-mean-slope-large-weights", "with large weights the mean sigmoid derivative collapses below 0.1", "at_most", 0.1, CH4, "ch4-saturation"),
    Claim("ch4-gain-small-weights", "with small weights (s = 0.25) the backprop signal still vanishes through 10 sigmoid layers (median input/layer-10 ratio)", "at_most", 1e-10, CH4, "ch4-saturation"),
    Claim("ch4-small-scale", "the smallest scale of the saturation sweep", "equal", 0.25, CH4, "ch4-saturation", rtol=1e-6),
    Claim("ch4-large-scale", "the largest scale of the saturation sweep", "equal", 10.0, CH4, "ch4-saturation", rtol=1e-6),
    Claim("ch4-dead-at-init", "a He-initialized (Gaussian) 4-layer ReLU net has few dead units at initialization", "at_most", 0.05, CH4, "ch4-dead"),
    Claim("ch4-dead-after-shift-2", "shifting the hidden biases down by 2 kills over 10% of the units", "at_least", 0.1, CH4, "ch4-dead"),
    Claim("ch4-dead-after-big-step", "one SGD step at learning rate 10 kills over 20% of the units", "at_least", 0.2, CH4, "ch4-dead"),
    Claim("ch4-dead-after-small-step", "one SGD step at learning rate 0.1 kills almost none", "at_most", 0.05, CH4, "ch4-dead"),
    Claim("ch4-relu-dead-get-gradient", "dead ReLU units get exactly zero gradient on their incoming weights", "equal", 0.0, CH4, "ch4-leaky"),
    Claim("ch4-leaky-negative-get-gradient", "leaky ReLU units negative on every input all still get a gradient", "equal", 1.0, CH4, "ch4-leaky"),
    Claim("ch4-leaky-negative-fraction", "after the same too-large step many leaky units are negative on every input", "at_least", 0.1, CH4, "ch4-leaky"),
    # Chapter 6: batch normalization by hand; rescuing a badly initialized deep tanh net; scale invariance; explosion at init.
    Claim("ch6-train-mean-max", "train-mode BN with gamma = 1, beta = 0 gives every unit batch mean 0 (largest |mean|, float32)", "at_most", 1e-5, CH6, "ch6-equations"),
    Claim("ch6-train-var-err", "... and batch variance 1 up to the eps (largest |variance - 1|)", "at_most", 1e-4, CH6, "ch6-equations"),
    Claim("ch6-backward-rel", "the paper's hand-written BN backward pass agrees with jax.grad (relative error, float32)", "at_most", 1e-4, CH6, "ch6-equations"),
    Claim("ch6-train-eval-gap", "after 100 running-average updates on a fixed batch, eval mode reproduces train mode (largest difference)", "at_most", 1e-3, CH6, "ch6-equations"),
    Claim("ch6-plain-signal-ratio", "10-layer tanh net, N(0, 0.05^2) weights: the input's backprop signal is below 1e-4 of the last hidden layer's (median of 4 seeds)", "at_most", 1e-4, CH6, "ch6-poor-init"),
    Claim("ch6-bn-signal-ratio", "... with batch norm the ratio is of order one, a little above one (median of 4 seeds)", "between", (1.0, 10.0), CH6, "ch6-poor-init"),
    Claim("ch6-plain-final-loss", "... without batch norm the net stays at the chance loss ln 10 after 500 SGD steps (median of 4 seeds)", "equal", math.log(10), CH6, "ch6-poor-init", rtol=0.02),
    Claim("ch6-bn-final-loss", "... with batch norm it trains far below chance (median of 4 seeds, last 20 steps)", "at_most", 0.2, CH6, "ch6-poor-init"),
    Claim("ch6-scale-invariance-rel", "20 times larger hidden weights change a BN net's backprop signal at the hidden layers by at most 1% (relative, 4 seeds)", "at_most", 1e-2, CH6, "ch6-why"),
    Claim("ch6-relu-he-signal-ratio", "30-layer ReLU net with He init, no BN: input/last backprop signal ratio of order one (median of 8 seeds)", "between", (0.03, 10.0), CH6, "ch6-explosion"),
    Claim("ch6-bn-explosion-ratio", "the same net with batch norm: the input's backprop signal is over 100 times the last layer's at initialization (median of 8 seeds)", "at_least", 100.0, CH6, "ch6-explosion"),
    Claim("ch6-bn-explosion-per-layer", "... a growth factor per BN layer above one (Yang et al.: about pi/(pi - 1) = 1.47 for large batches)", "between", (1.1, 1.6), CH6, "ch6-explosion"),
    # Chapter 7: residual blocks and their Jacobian; forward variance and branch scaling; plain vs residual; degradation.
    Claim("ch7-jacobian-error", "the Jacobian of a residual block equals I + alpha W^T diag(f'(h)) (largest difference from jax.jacobian)", "at_most", 1e-5, CH7, "ch7-block"),
    Claim("ch7-var-unscaled", "49 unscaled residual ReLU blocks (He): E[h_50^2]/E[h_1^2] explodes (median of 8 seeds)", "at_least", 1e10, CH7, "ch7-variance"),
    Claim("ch7-var-scaled", "... with branch scale 1/sqrt(L) it stays between e and e^2 (median of 8 seeds)", "between", (math.e, math.e**2), CH7, "ch7-variance"),
    Claim("ch7-var-zero", "... with zero-initialized branches it stays exactly 1", "equal", 1.0, CH7, "ch7-variance", rtol=1e-6),
    Claim("ch7-var-bn-per-block", "... with a batch-normalized branch and scale 1 it grows linearly: (E[h_50^2] - E[h_1^2])/49 is about 1, the BN output's second moment (median of 8 seeds)", "between", (0.8, 1.2), CH7, "ch7-variance"),
    Claim("ch7-plain-signal-ratio", "50-layer plain sigmoid net (Xavier): backprop signal at the first hidden layer below 1e-20 of the last one's (median of 4 seeds)", "at_most", 1e-20, CH7, "ch7-plain-vs-residual"),
    Claim("ch7-residual-signal-ratio", "... the residual net (alpha = 1/sqrt(L)): within a factor 10 of one (median of 4 seeds)", "between", (0.1, 10.0), CH7, "ch7-plain-vs-residual"),
    Claim("ch7-bn-plain50-signal-ratio", "50-layer plain tanh net with BN: the backprop signal does not vanish (input/last ratio at least 1, median of 4 seeds)", "at_least", 1.0, CH7, "ch7-degradation"),
    Claim("ch7-bn-plain5-final-loss", "a 5-layer plain tanh net with BN trains to a low loss in 200 steps (median of 4 seeds)", "at_most", 0.1, CH7, "ch7-degradation"),
    Claim("ch7-bn-plain50-final-loss", "the 50-layer plain tanh net with BN trains far worse (degradation; median of 4 seeds)", "at_least", 0.5, CH7, "ch7-degradation"),
    Claim("ch7-bn-residual50-final-loss", "the 50-layer residual tanh net with BN trains as well as the shallow one (median of 4 seeds)", "at_most", 0.1, CH7, "ch7-degradation"),
    # Chapter 8: RNN, LSTM and GRU cells; backprop through time; Pascanu's condition; the cell path; the adding problem.
    Claim("ch8-lstm-step-error", "one LSTM step of rec.run matches the equations computed by hand in NumPy (largest difference)", "at_most", 1e-5, CH8, "ch8-cells"),
    Claim("ch8-init-rnn-ratio100", "at initialization (sigma_max = 1) the vanilla RNN's backprop signal 100 steps back is below 1e-6 of the last one", "at_most", 1e-6, CH8, "ch8-bptt"),
    Claim("ch8-init-gru-ratio100", "... the GRU's too", "at_most", 1e-6, CH8, "ch8-bptt"),
    Claim("ch8-init-lstm-ratio100", "... and the LSTM's (forget bias 1) is below 1e-3: gated cells vanish at initialization too", "at_most", 1e-3, CH8, "ch8-bptt"),
    Claim("ch8-pascanu-bound-slack", "with sigma_max(W_hh) = 0.9 the RNN's signal ratio never exceeds the bound 0.9^(T-t) (largest ratio to the bound)", "at_most", 1.0, CH8, "ch8-pascanu"),
    Claim("ch8-rnn-sigma09-ratio100", "sigma_max = 0.9: the signal 100 steps back is below 0.9^100 = 2.7e-5", "at_most", 2.7e-5, CH8, "ch8-pascanu"),
    Claim("ch8-rnn-sigma2-ratio100", "sigma_max = 2 with inputs of scale 1: the signal 100 steps back has grown over 100-fold (explodes)", "at_least", 100.0, CH8, "ch8-pascanu"),
    Claim("ch8-rnn-sigma2-saturated-ratio100", "sigma_max = 2 with inputs of scale 10: the signal 100 steps back is below 1e-6 (vanishes: saturation)", "at_most", 1e-6, CH8, "ch8-pascanu"),
    Claim("ch8-rnn-unsaturated-mean-tanh-prime", "sigma_max = 2, inputs of scale 1: mean tanh' over steps and units", "between", (0.35, 0.55), CH8, "ch8-pascanu"),
    Claim("ch8-rnn-saturated-mean-tanh-prime", "sigma_max = 2, inputs of scale 10: mean tanh' over steps and units is lower (more saturated units)", "at_most", 0.32, CH8, "ch8-pascanu"),
    Claim("ch8-lstm-cec-error", "dc_t/dc_{t-1} with h_{t-1} fixed equals diag(f_t) (largest difference, jax.jacobian)", "at_most", 1e-6, CH8, "ch8-lstm"),
    Claim("ch8-lstm-forget0-ratio100", "LSTM at initialization, forget bias 0: the signal 100 steps back is below 1e-8, far smaller than with bias 1", "at_most", 1e-8, CH8, "ch8-lstm"),
    Claim("ch8-lstm-forget3-ratio100", "... and with forget bias 3 above 1e-3", "at_least", 1e-3, CH8, "ch8-lstm"),
    Claim("ch8-adding-rnn-solved-fraction", "adding problem (lags 15, 30, 60; 4 seeds; hidden 16, 400 Adam steps): fraction of vanilla-RNN runs with test MSE < 0.02", "at_most", 0.1, CH8, "ch8-adding"),
    Claim("ch8-adding-lstm-solved-fraction", "... fraction of LSTM runs with test MSE < 0.02: most (at least 60%)", "at_least", 0.6, CH8, "ch8-adding"),
    Claim("ch8-adding-gru-solved-fraction", "... fraction of GRU runs with test MSE < 0.02: most (at least 60%)", "at_least", 0.6, CH8, "ch8-adding"),
    Claim("ch8-adding-rnn-median-lag60", "median test MSE over seeds at lag 60: the vanilla RNN stays above 1/20 (no long memory)", "at_least", 0.05, CH8, "ch8-adding"),
    Claim("ch8-adding-lstm-median-lag60", "... the LSTM's is below the 1/12 plateau of remembering only the recent value", "at_most", 1 / 12, CH8, "ch8-adding"),
    Claim("ch8-adding-gru-median-lag60", "... the GRU's is below 1/12 too", "at_most", 1 / 12, CH8, "ch8-adding"),
    Claim("ch8-adding-rnn-best", "the best of the 12 vanilla-RNN runs stays above the solving threshold 0.02", "at_least", 0.02, CH8, "ch8-adding"),
    Claim("ch8-trained-rnn-ratio60", "after training at lag 60, the RNN's backprop signal 60 steps back is below 1e-3 of the last (median over seeds; it varies between seed sets from about 1e-11 to 1e-5)", "at_most", 1e-3, CH8, "ch8-trained"),
    Claim("ch8-trained-gated-over-rnn", "... and at least 100 times below the LSTM's and the GRU's (the smaller of the two ratios)", "at_least", 100.0, CH8, "ch8-trained"),
    Claim("ch8-trained-lstm-ratio60", "... the LSTM's is above 1e-2", "at_least", 1e-2, CH8, "ch8-trained"),
    Claim("ch8-trained-gru-ratio60", "... the GRU's is above 1e-2", "at_least", 1e-2, CH8, "ch8-trained"),
    # Chapter 9: cliffs, clipping by global norm against clipping by value, a diverging run clipped, clipping and vanishing.
    Claim("ch9-cliff-grad-ratio", "on the cliff of the one-unit recurrence (T = 20, w = 6) the largest |dL/db| is over 100 times its median along the slice", "at_least", 100.0, CH9, "ch9-cliffs"),
    Claim("ch9-cliff-loss-jump", "the loss of the one-unit recurrence drops by more than 5 across the cliff", "at_least", 5.0, CH9, "ch9-cliffs"),
    Claim("ch9-cliff-width", "the cliff is less than 0.02 wide in b", "at_most", 0.02, CH9, "ch9-cliffs"),
    Claim("ch9-clip-hand-vs-optax", "the hand-written clip_by_global_norm matches optax.clip_by_global_norm (norm of the difference)", "at_most", 1e-6, CH9, "ch9-direction"),
    Claim("ch9-angle-norm-clip", "clipping by global norm leaves the gradient's direction unchanged (largest angle over thresholds, degrees)", "at_most", 1e-3, CH9, "ch9-direction"),
    Claim("ch9-angle-value-clip", "clipping by value at 1 turns the gradient of the He x 1.5 ReLU net by more than 10 degrees", "at_least", 10.0, CH9, "ch9-direction"),
    Claim("ch9-initial-grad-norm", "the 10-layer ReLU net with He x 1.5 initialization starts with a global gradient norm above 100 (median over 5 seeds)", "at_least", 100.0, CH9, "ch9-explosion"),
    Claim("ch9-unclipped-diverged-fraction", "without clipping, every seed of the He x 1.5 net at SGD lr 0.5 reaches inf or NaN", "equal", 1.0, CH9, "ch9-explosion"),
    Claim("ch9-unclipped-nan-step", "without clipping the loss becomes non-finite within the first 50 steps (median over seeds)", "at_most", 50.0, CH9, "ch9-explosion"),
    Claim("ch9-clipped-finite-fraction", "with clipping at global norm 1, every seed (same seeds, same lr) stays finite", "equal", 1.0, CH9, "ch9-explosion"),
    Claim("ch9-clipped-median-final-loss", "with clipping the He x 1.5 net trains well below chance (median final loss over 5 seeds)", "at_most", 0.5, CH9, "ch9-explosion"),
    Claim("ch9-he-lr1-unclipped-trained-fraction", "a He-initialized 10-layer ReLU net at SGD lr 1.0 without clipping trains (final loss < 0.5) on at most 1 seed in 5", "at_most", 0.2, CH9, "ch9-explosion"),
    Claim("ch9-he-lr1-clipped-trained-fraction", "the same net and lr with clipping at norm 1 trains on at least 4 seeds in 5", "at_least", 0.8, CH9, "ch9-explosion"),
    Claim("ch9-sigmoid-ratio-change", "clipping leaves the first/last weight-gradient ratio of the deep sigmoid net unchanged (relative change)", "at_most", 1e-5, CH9, "ch9-vanishing"),
    Claim("ch9-sigmoid-clipped-final-loss", "the deep sigmoid net of chapter 1 with clipping stays at the chance loss ln 10 (median over 3 seeds)", "equal", math.log(10), CH9, "ch9-vanishing", rtol=0.02),
    Claim("ch9-sigmoid-unclipped-final-loss", "the same net without clipping also stays at the chance loss (median over 3 seeds)", "equal", math.log(10), CH9, "ch9-vanishing", rtol=0.02),
    Claim("ch9-sigmoid-clipped-first-change", "with clipping the sigmoid net's first layer moves by less than 0.1% of its norm in 300 steps", "at_most", 1e-3, CH9, "ch9-vanishing"),
    # Chapter 10: schedules from optax and their effect; momentum, Adagrad, RMSProp, Adam on the deep sigmoid net; Adam's eps.
    Claim("ch10-warmup-cosine-hand-vs-optax", "the hand-written warmup-cosine schedule matches optax.warmup_cosine_decay_schedule (largest difference)", "at_most", 1e-6, CH10, "ch10-schedules"),
    Claim("ch10-constant-final-loss", "noisy SGD (batch 16) at a constant rate 0.5 ends with a high training loss (median over 8 seeds)", "at_least", 0.1, CH10, "ch10-schedule-effect"),
    Claim("ch10-cosine-final-loss", "the same runs with cosine decay from 0.5 end low (median over 8 seeds)", "at_most", 0.08, CH10, "ch10-schedule-effect"),
    Claim("ch10-constant-over-cosine", "cosine decay ends at least 2.5 times lower than the constant rate (ratio of medians over 8 seeds)", "at_least", 2.5, CH10, "ch10-schedule-effect"),
    Claim("ch10-cosine-below-constant-seeds", "seed by seed, cosine decay ends below the constant rate in at least 6 of the 8 runs", "at_least", 6.0, CH10, "ch10-schedule-effect"),
    Claim("ch10-decayed-worst-final-loss", "every decaying schedule ends well below the constant rate (worst median over the decaying schedules, 8 seeds)", "at_most", 0.15, CH10, "ch10-schedule-effect"),
    Claim("ch10-constant-test-acc", "test accuracy with the constant rate (median over 8 seeds)", "between", (0.5, 0.95), CH10, "ch10-schedule-effect"),
    Claim("ch10-cosine-test-acc", "test accuracy with cosine decay (median over 8 seeds)", "at_least", 0.94, CH10, "ch10-schedule-effect"),
    Claim("ch10-momentum-zero-grad-step", "after ten unit gradients, momentum (0.9) still steps when the gradient is zero (learning rate 1)", "at_least", 1.0, CH10, "ch10-optimizers"),
    Claim("ch10-adagrad-zero-grad-step", "after ten unit gradients, Adagrad's step at a zero gradient is exactly zero (no velocity)", "equal", 0.0, CH10, "ch10-optimizers"),
    Claim("ch10-sgd-final-loss", "SGD (lr 0.1) leaves the deep sigmoid net at the chance loss after 400 steps (median over 3 seeds)", "equal", math.log(10), CH10, "ch10-optimizers", rtol=0.02),
    Claim("ch10-momentum-final-loss", "SGD with momentum 0.9 also stays at the chance loss (median over 3 seeds)", "equal", math.log(10), CH10, "ch10-optimizers", rtol=0.02),
    Claim("ch10-adagrad-final-loss", "Adagrad (lr 0.1) also stays at the chance loss (median over 3 seeds)", "equal", math.log(10), CH10, "ch10-optimizers", rtol=0.02),
    Claim("ch10-rmsprop-final-loss", "optax's RMSProp (lr 1e-3) also stays at the chance loss (median over 3 seeds)", "equal", math.log(10), CH10, "ch10-optimizers", rtol=0.02),
    Claim("ch10-adam-final-loss", "Adam (lr 1e-3) leaves the plateau (median over 3 seeds)", "at_most", 2.15, CH10, "ch10-optimizers"),
    Claim("ch10-sgd-first-change", "under SGD the first layer moves by less than 0.1% of its norm (median over 3 seeds)", "at_most", 1e-3, CH10, "ch10-optimizers"),
    Claim("ch10-adam-first-change", "under Adam the first layer moves by more than 10% of its norm (median over 3 seeds)", "at_least", 0.1, CH10, "ch10-optimizers"),
    Claim("ch10-adam-step-1e-2", "Adam's step after 100 steps of a constant gradient 1e-2 is the learning rate", "equal", 1.0, CH10, "ch10-adam-eps", rtol=1e-3),
    Claim("ch10-adam-step-1e-6", "Adam's step after 100 steps of a constant gradient 1e-6 is 0.99 of the learning rate (g/(g + eps))", "equal", 0.990099, CH10, "ch10-adam-eps", rtol=1e-3),
    Claim("ch10-adam-step-1e-8", "Adam's step after 100 steps of a constant gradient 1e-8 = eps is half the learning rate", "equal", 0.5, CH10, "ch10-adam-eps", rtol=1e-2),
    Claim("ch10-adam-step-1e-10", "Adam's step after 100 steps of a constant gradient 1e-10 is 1/100 of the learning rate", "equal", 0.00990099, CH10, "ch10-adam-eps", rtol=1e-2),
    Claim("ch10-rmsprop-step-1e-8", "optax's RMSProp (eps inside the square root) steps by about 1e-4 of its rate at a gradient of 1e-8", "between", (5e-5, 2e-4), CH10, "ch10-adam-eps"),
    Claim("ch10-first-layer-median-grad", "the median first-layer weight-gradient entry of the deep sigmoid net is near Adam's eps (between 1e-9 and 1e-7)", "between", (1e-9, 1e-7), CH10, "ch10-adam-eps"),
    Claim("ch10-first-layer-below-eps", "a sizeable fraction of those entries is below eps = 1e-8", "between", (0.2, 0.9), CH10, "ch10-adam-eps"),
    # Chapter 11: diagnosing gradient problems (gradflow.diagnostics on chapter 1's networks).
    Claim("ch11-verdicts-correct", "diagnose gives the expected verdict (vanishing, healthy, exploding) on all three networks", "equal", 3.0, CH11, "ch11-toolkit"),
    Claim("ch11-sigmoid-signal-ratio", "10-layer sigmoid net: backprop signal at the input over the last hidden layer's, below the 1e-3 threshold", "at_most", 1e-4, CH11, "ch11-toolkit"),
    Claim("ch11-sigmoid-grad-ratio", "10-layer sigmoid net: first layer's gradient-to-weight ratio over the output layer's", "at_most", 1e-4, CH11, "ch11-toolkit"),
    Claim("ch11-he-signal-ratio", "He-initialized ReLU net: backprop signal ratio input/last within a factor 10 of one", "between", (0.1, 10.0), CH11, "ch11-walkthrough"),
    Claim("ch11-he-update-ratio", "He-initialized ReLU net: median update-to-weight ratio of one SGD step (lr 0.1), within 1e-4..1e-1", "between", (1e-4, 1e-1), CH11, "ch11-walkthrough"),
    Claim("ch11-big-signal-ratio", "ReLU net with 3 x He weights: backprop signal at the input over the last layer's, above the 1e3 threshold", "at_least", 1e3, CH11, "ch11-walkthrough"),
    Claim("ch11-big-grad-ratio", "... while its first/last gradient-to-weight ratio stays within a factor 10 of one", "between", (0.1, 10.0), CH11, "ch11-walkthrough"),
    Claim("ch11-big-update-ratio", "... and one SGD step (lr 0.1) would change some layer by more than its own norm", "at_least", 1.0, CH11, "ch11-walkthrough"),
    Claim("ch11-monitor-sigmoid-first-update", "in training, the sigmoid net's first layer changes by a median of under 1e-6 of its norm per step", "at_most", 1e-6, CH11, "ch11-monitor"),
    Claim("ch11-monitor-relu-first-update", "the He ReLU net's first layer changes by a median within 1e-4..1e-1 of its norm per step", "between", (1e-4, 1e-1), CH11, "ch11-monitor"),
    Claim("ch11-decay-weight-shrink", "with weight decay 0.05 the He ReLU net's first-layer weight norm shrinks below half its start in 300 steps", "at_most", 0.5, CH11, "ch11-not-specific"),
    Claim("ch11-decay-signal-ratio", "... while its backprop signal ratio stays within a factor 10 of one", "between", (0.1, 10.0), CH11, "ch11-not-specific"),
    Claim("ch11-erratic-diverged", "at learning rate 0.15 at most 2 of the 8 He ReLU runs diverge (every run is accounted for)", "at_most", 2.0, CH11, "ch11-not-specific"),
    Claim("ch11-erratic-roughness", "at learning rate 0.15 the He ReLU net's loss jumps by more than 0.1 between records on average (median over the runs that did not diverge)", "at_least", 0.1, CH11, "ch11-not-specific"),
    Claim("ch11-sigmoid-roughness", "the stalled sigmoid net's loss changes by less than 0.05 between records on average", "at_most", 0.05, CH11, "ch11-not-specific"),
    Claim("ch11-erratic-signal-ratio", "the erratic runs' backprop signal ratio after training stays within a factor 10 of one (median over the runs that did not diverge)", "between", (0.1, 10.0), CH11, "ch11-not-specific"),
    Claim("ch11-symptom-verdicts-healthy", "of the runs with shrinking weights (1) or erratic curves (the finite ones of 8), at least 80% get the verdict healthy", "at_least", 0.8, CH11, "ch11-not-specific"),
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
    # Chapters 3 and 4: chain-rule products, activation derivatives.
    SeedClaim("002", "0.01^l vanishes and 1.5^l explodes with the number of layers l.", "right",
              "For a scalar chain the product is exact: 1.5^50 = 6.4e8 and 0.01^10 = 1e-20, straight lines on a log scale.",
              ("ch3-scalar-explode-50", "ch3-scalar-vanish-10")),
    SeedClaim("002", "If W < 1: vanishing gradients; if W > 1: exploding (and its formulas relating dAL, dL and dW).", "loose",
              "Exact for a scalar chain. For matrices what counts is how they scale vectors: exactly s^L for orthogonal weights scaled by s; "
              "for random ones the scale s = sqrt(n) std(W_ij) relative to 1 (sqrt 2 for ReLU). At s = 1.5 every weight is below one and the signal still explodes. "
              "Its formulas are garbled; the chapter writes the product of Jacobians instead.",
              ("ch3-orthogonal-max-rel-dev", "ch3-max-abs-weight", "ch3-small-weights-explode", "ch3-linear-critical", "ch3-relu-critical")),
    SeedClaim("001", "If the gradients near the output layer are less than one, the chain rule makes them diminish towards the input.", "loose",
              "Vanishing comes from the per-layer Jacobian factors, not from the size of the gradient near the output: an orthogonal linear net "
              "passes a last-layer signal below one back to the input unchanged.",
              ("ch3-orthogonal-last-signal", "ch3-orthogonal-ratio-at-1")),
    SeedClaim("001", "Convolutional neural networks also face the problem of vanishing gradients.", "right",
              "An 8-layer sigmoid conv net on the digits loses about five orders of magnitude of backprop signal; with ReLU and He init it does not.",
              ("ch3-cnn-sigmoid-ratio", "ch3-cnn-relu-ratio")),
    SeedClaim("000, 004", "The sigmoid's derivative lies in (0, 0.25].", "right",
              "sigmoid' = s(1 - s) peaks at exactly 1/4 at x = 0; through L sigmoid layers the gain is at most (1/4)^L times the product of the spectral norms.",
              ("ch4-sigmoid-max", "ch4-sigmoid-argmax", "ch4-gain-over-bound-max")),
    SeedClaim("001", "ReLU makes the derivatives of the weights either zero or one.", "wrong",
              "It is the activation's derivative that is 0 or 1; a ReLU layer's weight gradient takes thousands of distinct real values.",
              ("ch4-relu-prime-values", "ch4-relu-weight-grad-distinct", "ch4-relu-weight-grad-zero-or-one")),
    SeedClaim("003", "ReLU 'retains the input by substituting fine enter values of 1 for poor enter values and 0 for fine enter values'.", "wrong",
              "Garbled. ReLU outputs its input where positive and 0 where negative; its derivative is 1 and 0 there. The zeros make units die "
              "(a bias shift or a too-large step kills a measured fraction); leaky ReLU units keep passing gradient.",
              ("ch4-relu-prime-values", "ch4-dead-after-shift-2", "ch4-dead-after-big-step", "ch4-relu-dead-get-gradient", "ch4-leaky-negative-get-gradient")),
    SeedClaim("002", "Vanishing gradients occur when weights are initialized too small, essentially saturating the response.", "wrong",
              "Small weights do vanish the signal, but keep sigmoids in their linear middle (no saturation, mean derivative 1/4); large weights saturate them.",
              ("ch4-saturated-small-weights", "ch4-mean-slope-small-weights", "ch4-gain-small-weights", "ch4-saturated-large-weights")),
    # Chapter 5: initialization.
    SeedClaim("000, 004", "Proper weight initialization is a fix.", "right",
              "In a 50-layer ReLU net, He initialization keeps the activations' second moment and the backprop signal of order one (median over 24 seeds), "
              "where Var(W) = 1/n_in shrinks them by 2^-50 and 2^-25.", ("ch5-he-median-ratio", "ch5-lecun-median-ratio", "ch5-he-signal-ratio")),
    SeedClaim("002", "The exploding gradient problem has been alleviated by weight initialization and batch normalization, while vanishing gradients remain a challenge.", "loose",
              "Initialization addresses both directions: in a 50-layer ReLU net the backprop signal vanishes by 3e-8 under Var(W) = 1/n_in and not at all under He. "
              "Vanishing remains a problem for saturating activations and long recurrences, not because initialization cannot address it.",
              ("ch5-he-signal-ratio", "ch5-lecun-signal-ratio")),
    SeedClaim("002", "Appropriately initializing weights using smaller values can mitigate vanishing gradients.", "wrong",
              "Smaller weights make every factor of the product smaller: with standard deviation 0.01 the backprop signal at the input of a 50-layer ReLU net underflows to 0.",
              ("ch5-small-signal-ratio", "ch5-lecun-signal-ratio", "ch5-small-median-ratio")),
    # Chapter 6: batch normalization.
    SeedClaim("003", "Batch normalization lessens internal covariate shift, which stabilizes and speeds up training.", "loose",
              "BN does rescue a badly initialized deep tanh net, but 'internal covariate shift' is the original paper's motivation, not a measured mechanism, "
              "and Santurkar et al. 2018 found BN nets train well even with extra shift injected; scale invariance (BN(aWh) = BN(Wh)) and smoother optimization are better supported.",
              ("ch6-bn-final-loss", "ch6-scale-invariance-rel")),
    SeedClaim("000, 004", "Batch normalization helps maintain stable gradients, overcoming the vanishing gradient problem.", "loose",
              "It removes the vanishing caused by a bad weight scale (a 10-layer tanh net with tiny weights trains with BN and not without), "
              "but deep BN nets have exploding gradients at initialization: over 30 ReLU layers the signal grows several hundredfold towards the input.",
              ("ch6-plain-signal-ratio", "ch6-bn-signal-ratio", "ch6-bn-final-loss", "ch6-bn-explosion-ratio")),
    SeedClaim("002", "Exploding gradients have been alleviated through batch normalization.", "wrong",
              "Batch normalization itself makes the backprop signal grow geometrically with depth at initialization (Yang et al. 2019), whatever the weight scale.",
              ("ch6-bn-explosion-ratio", "ch6-bn-explosion-per-layer", "ch6-relu-he-signal-ratio")),
    # Chapter 7: residual connections.
    SeedClaim("000, 003, 004", "Residual networks and skip connections help with the vanishing gradient problem.", "right",
              "A block's Jacobian is I + alpha dF/dh: in a 50-layer sigmoid net the plain backprop signal vanishes below 1e-20 while the residual one's stays "
              "within a factor 10, and at depth 50 the residual BN net trains where the plain one does not. (ResNets were invented for the degradation problem, "
              "which He et al. say is not vanishing gradients.)",
              ("ch7-jacobian-error", "ch7-plain-signal-ratio", "ch7-residual-signal-ratio", "ch7-bn-plain50-final-loss", "ch7-bn-residual50-final-loss")),
    # Chapter 8: recurrent networks.
    SeedClaim("001", "RNNs also face vanishing gradients.", "right",
              "At initialization a vanilla RNN's backprop signal 100 steps back is about 1e-11 of the last one, and with sigma_max(W_hh) < 1 it must vanish (Pascanu's bound); "
              "on the adding problem the vanilla RNN never learned the long memory.",
              ("ch8-init-rnn-ratio100", "ch8-pascanu-bound-slack", "ch8-adding-rnn-solved-fraction")),
    SeedClaim("001, 003", "LSTMs and GRUs come to the rescue: they address vanishing gradients in sequences.", "right",
              "Right, with nuance: at initialization the gated cells' signal vanishes too; their additive path (dc_t/dc_{t-1} = diag(f)) has a learnable gain, "
              "and trained on the adding problem they keep the signal 60 steps back and learn the task in most seeds where the RNN fails in all. "
              "They improve the odds, not guarantee success, and do nothing for exploding gradients.",
              ("ch8-init-lstm-ratio100", "ch8-lstm-cec-error", "ch8-adding-lstm-solved-fraction", "ch8-adding-gru-solved-fraction", "ch8-trained-lstm-ratio60", "ch8-trained-gru-ratio60", "ch8-trained-gated-over-rnn")),
    # Chapter 9: exploding gradients and clipping.
    SeedClaim("003", "Gradient clipping restricts the gradients to avoid them from getting too little or blowing up.", "wrong",
              "Clipping only ever shrinks: it scales every layer by the same factor min(1, c/||g||), so the first/last weight-gradient ratio of the deep sigmoid net "
              "is unchanged and, clipped, the net stays at the chance loss. It does prevent blowing up.",
              ("ch9-sigmoid-ratio-change", "ch9-sigmoid-clipped-final-loss", "ch9-unclipped-diverged-fraction", "ch9-clipped-finite-fraction")),
    SeedClaim("002", "Exploding gradients are taken care of by initialization and batch normalization.", "loose",
              "A good initialization sets the scale only at the start: a He-initialized 10-layer ReLU net at SGD lr 1.0 fails on most seeds without clipping and "
              "trains with it; the standard tool against explosion, above all in recurrent nets (cliffs), is clipping by global norm.",
              ("ch9-he-lr1-unclipped-trained-fraction", "ch9-he-lr1-clipped-trained-fraction", "ch9-cliff-grad-ratio")),
    # Chapter 10: optimizers and schedules.
    SeedClaim("001", "Start with a high learning rate and decrease it as training proceeds.", "right",
              "On noisy SGD over the digits, cosine decay from 0.5 ends several times lower in training loss than a constant 0.5 (median over 8 seeds; the factor varies with the seeds, the direction does not), and every decaying schedule beats the constant rate.",
              ("ch10-constant-over-cosine", "ch10-cosine-below-constant-seeds", "ch10-decayed-worst-final-loss")),
    SeedClaim("001", "Momentum-based gradient descents, which incorporate the history of training, such as Adam and Adagrad, get out of regions of small gradients.", "loose",
              "Adagrad is not momentum-based: at a zero gradient it does not move while momentum does. On the deep sigmoid net momentum and Adagrad stall like SGD; "
              "only Adam leaves the plateau, because its step does not scale with the gradient while |g| is above eps.",
              ("ch10-adagrad-zero-grad-step", "ch10-momentum-zero-grad-step", "ch10-momentum-final-loss", "ch10-adagrad-final-loss", "ch10-adam-final-loss")),
    # Chapter 11: diagnosing.
    SeedClaim("003", "Weights converging to 0 and irregular (erratic) learning curves are signs of vanishing gradients.", "loose",
              "Neither is specific: a He ReLU net with weight decay shrinks its weights below half while its backprop signal stays of order one, "
              "and at a large learning rate its curve is erratic with healthy gradients; the stalled sigmoid net's curve is flat and smooth.",
              ("ch11-decay-weight-shrink", "ch11-decay-signal-ratio", "ch11-erratic-roughness", "ch11-sigmoid-roughness", "ch11-symptom-verdicts-healthy")),
    SeedClaim("003", "Gradient histograms and norms help evaluate the gradient distribution across the network.", "right",
              "They are the measurement: the per-layer backprop signal and gradient-to-weight ratios of the sigmoid net fall by orders of magnitude towards the input; "
              "but in ReLU nets judge by the backprop signal, since a bad scale moves all weight gradients together.",
              ("ch11-sigmoid-signal-ratio", "ch11-big-signal-ratio", "ch11-big-grad-ratio")),
)  # fmt: skip


def by_id() -> dict[str, Claim]:
    """Claims keyed by id (ids are unique)."""
    table = {c.id: c for c in CLAIMS}
    if len(table) != len(CLAIMS):
        raise ValueError("duplicate claim ids")
    return table


GLUE_PREFIX = "application/papermill.record/"  # myst_nb's prefix for glued, undisplayed values


class ClaimFailed(ValueError):
    """A chapter computed a value that its claim rejects (or one that is not a finite number)."""


def glue(claim_id: str, value: float) -> None:
    """Check ``value`` against the claim ``claim_id``, then glue it for the text and the tests.

    Raises :class:`ClaimFailed` (with the claim's statement, the value and what was
    expected) when the check fails, so a chapter whose prose would state a false or
    non-finite number stops the book build instead of publishing it.
    """
    claim = by_id().get(claim_id)
    if claim is None:
        raise KeyError(f"unknown claim id {claim_id!r}; add it to gradflow.claims.CLAIMS first")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{claim_id}: glue needs one number; got {type(value).__name__}") from None
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
