"""Weighted least squares with non-negative weights, exact over every subset of the duration model's shapes."""

import math

import pytest

from autotuner.domain.search.duration_model import SHAPES, basis
from autotuner.domain.search.least_squares import factored

SIZES = (128, 256, 512, 1024, 1769, 3008, 6144, 10240)  # both sides of one full vCPU: serial and parallel differ
EVEN = (1.0,) * len(SIZES)


def made_of(weights: tuple[float, ...], sizes: tuple[int, ...] = SIZES) -> list[float]:
    return [math.fsum(w * b for w, b in zip(weights, basis(m), strict=True)) for m in sizes]


@pytest.mark.parametrize(
    "weights",
    [
        (30.0, 400.0, 0.0, 0.0, 0.0, 0.0),  # I/O and one thread
        (20.0, 100.0, 3000.0, 0.0, 0.0, 0.0),  # parallel work past one vCPU
        (0.0, 250.0, 0.0, 80.0, 0.0, 40.0),  # memory pressure fading steeply and gently
        (5.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # memory changes nothing
    ],
)
def test_durations_made_of_non_negative_weights_give_those_weights_back(weights: tuple[float, ...]) -> None:
    fitted, residual = factored(SIZES, EVEN).nnls(made_of(weights))
    assert fitted == pytest.approx(weights, abs=1e-6)
    assert residual == pytest.approx(0.0, abs=1e-6)


def test_unequal_precision_does_not_move_an_exact_fit() -> None:
    weights = (30.0, 400.0, 900.0, 0.0, 0.0, 0.0)
    precision = tuple(1 / (k + 1) for k in range(len(SIZES)))
    fitted, _ = factored(SIZES, precision).nnls(made_of(weights))
    assert fitted == pytest.approx(weights, abs=1e-6)


def test_durations_that_grow_with_memory_keep_only_the_constant_at_their_weighted_mean() -> None:
    """Every shape falls with memory, so any least-squares solution that follows a rise puts a negative weight on
    one: those subsets are dropped, and the best fit left is the precision-weighted mean (by Chebyshev's sum
    inequality no falling shape can lower the residual of a rising target)."""
    rising = [100 + m / 10 for m in SIZES]
    precision = (1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0)
    fitted, residual = factored(SIZES, precision).nnls(rising)
    mean = math.fsum(p * y for p, y in zip(precision, rising, strict=True)) / sum(precision)
    assert fitted == pytest.approx((mean, 0, 0, 0, 0, 0), abs=1e-9)
    assert residual == pytest.approx(math.fsum(p * (y - mean) ** 2 for p, y in zip(precision, rising, strict=True)))
    assert min(fitted) >= 0


def test_no_weight_is_ever_negative_whatever_the_targets() -> None:
    zigzag = [300.0, 50.0, 400.0, 20.0, 350.0, 10.0, 500.0, 5.0]
    fitted, residual = factored(SIZES, EVEN).nnls(zigzag)
    assert min(fitted) >= 0
    assert residual > 0


def test_nothing_measured_is_no_weight() -> None:
    assert factored(SIZES, EVEN).nnls([0.0] * len(SIZES)) == ((0.0,) * SHAPES, 0.0)


def test_shapes_that_coincide_on_the_measured_sizes_are_never_solved_together() -> None:
    """Up to 1,769 MB serial and parallel work are the same shape (a share of one vCPU): their joint system is
    singular, so every subset holding both is skipped, and a fit still follows the data with one of them."""
    small = (128, 256, 512, 1024, 1536)
    assert basis(1024)[1] == pytest.approx(basis(1024)[2])
    design = factored(small, (1.0,) * len(small))
    assert design.solvers
    assert not any({1, 2} <= set(subset) for subset, _ in design.solvers)
    assert any({1, 2} <= set(subset) for subset, _ in factored(SIZES, EVEN).solvers)
    targets = made_of((25.0, 300.0, 0.0, 0.0, 0.0, 0.0), small)
    fitted, residual = design.nnls(targets)
    assert fitted[1] + fitted[2] == pytest.approx(300.0)
    assert fitted[0] == pytest.approx(25.0)
    assert residual == pytest.approx(0.0, abs=1e-6)


def test_each_solver_inverts_its_subsets_weighted_gram_matrix() -> None:
    precision = (1.0, 0.5, 2.0, 1.0, 0.25, 1.0, 3.0, 1.0)
    design = factored(SIZES, precision)
    rows = [basis(m) for m in SIZES]
    for subset, inverse in design.solvers:
        gram = [[math.fsum(p * r[i] * r[j] for p, r in zip(precision, rows, strict=True)) for j in subset]
                for i in subset]  # fmt: skip
        for i in range(len(subset)):
            for j in range(len(subset)):
                product = math.fsum(gram[i][k] * inverse[k][j] for k in range(len(subset)))
                assert product == pytest.approx(1.0 if i == j else 0.0, abs=1e-6), f"subset {subset}"
