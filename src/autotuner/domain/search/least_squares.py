"""Weighted least squares with non-negative weights, exact: factored once for fixed sizes and weights over every
subset of the shapes, so that each bootstrap refit of the cost curve is a few dot products. Plain Python: this runs
in the Lambda runtime, without numpy."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from autotuner.domain.search.duration_model import SHAPES, basis_table

_SINGULAR = 1e-12


@dataclass(frozen=True)
class Design:
    """Weighted least squares on fixed sizes and weights, factored once for every subset of the shapes, so that
    each bootstrap refit is a few dot products."""

    rows: tuple[tuple[float, ...], ...]
    precision: tuple[float, ...]
    # (subset, inverse of its Gram matrix) for every subset whose shapes are not (nearly) collinear here
    solvers: tuple[tuple[tuple[int, ...], tuple[tuple[float, ...], ...]], ...]

    def nnls(self, targets: Sequence[float]) -> tuple[tuple[float, ...], float]:
        """Weighted least squares with every weight >= 0, exactly: the least-squares solution on each subset of
        the shapes, the best one whose weights are all non-negative."""
        weighted = [p * y for p, y in zip(self.precision, targets, strict=True)]
        moment = [math.fsum(w * r[i] for w, r in zip(weighted, self.rows, strict=True)) for i in range(SHAPES)]
        total = math.fsum(w * y for w, y in zip(weighted, targets, strict=True))
        best_gain = 0.0
        best: tuple[float, ...] = (0.0,) * SHAPES
        for subset, inverse in self.solvers:
            local = [moment[i] for i in subset]
            solution = [math.fsum(a * m for a, m in zip(row, local, strict=True)) for row in inverse]
            if min(solution) < 0:
                continue
            gain = math.fsum(c * m for c, m in zip(solution, local, strict=True))
            if gain > best_gain:
                weights = [0.0] * SHAPES
                for value, index in zip(solution, subset, strict=True):
                    weights[index] = value
                best_gain, best = gain, tuple(weights)
        return best, max(total - best_gain, 0.0)


@cache
def factored(sizes: tuple[int, ...], precision: tuple[float, ...]) -> Design:
    rows = basis_table(sizes)
    gram = [
        [math.fsum(p * r[i] * r[j] for r, p in zip(rows, precision, strict=True)) for j in range(SHAPES)]
        for i in range(SHAPES)
    ]
    solvers = []
    for size in range(1, SHAPES + 1):
        for subset in combinations(range(SHAPES), size):
            inverse = _inverse([[gram[i][j] for j in subset] for i in subset])
            if inverse is not None:
                solvers.append((subset, inverse))
    return Design(rows=rows, precision=precision, solvers=tuple(solvers))


def _inverse(matrix: list[list[float]]) -> tuple[tuple[float, ...], ...] | None:
    """Gauss-Jordan with partial pivoting; None when the matrix is (nearly) singular (two shapes that coincide on
    the measured sizes, as serial and parallel work do when none is above 1,769 MB)."""
    n = len(matrix)
    scale = max(abs(matrix[i][i]) for i in range(n)) or 1.0
    a = [[*row, *(1.0 if i == j else 0.0 for j in range(n))] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= _SINGULAR * scale:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        a[col] = [v / lead for v in a[col]]
        for row in range(n):
            if row != col and a[row][col] != 0:
                factor = a[row][col]
                a[row] = [v - factor * w for v, w in zip(a[row], a[col], strict=True)]
    return tuple(tuple(row[n:]) for row in a)
