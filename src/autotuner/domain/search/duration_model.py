"""Lambda's CPU model as a model of duration against memory.

Lambda gives a function a share of one vCPU in proportion to memory up to 1,769 MB, then more vCPUs up to six at
10,240 MB. So a duration is the sum of a few shapes, each with a non-negative weight:

- I/O and waiting, which memory does not shorten: a constant;
- serial CPU work, which speeds up with the share of one vCPU and not past it: ``1 / min(memory / 1769, 1)``;
- parallel CPU work, which keeps speeding up with every vCPU: ``1 / vcpus(memory)``;
- memory pressure (garbage collection, evicted caches): extra CPU work that fades as memory grows, as a
  non-negative mix of ``exp(-(memory - 128) / scale) / cpu share`` for a few scales (64, 192 and 576 MB), which
  follows steep and gentle fades alike.
"""

import math
from functools import cache

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel

MB_PER_VCPU = 1769
MAX_VCPUS = 6
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
PRESSURE_SCALES_MB = (64.0, 192.0, 576.0)
SHAPES = 3 + len(PRESSURE_SCALES_MB)  # I/O, serial, parallel, then one per pressure scale


def cpu_share(memory_mb: float) -> float:
    """The share of one vCPU a single thread gets."""
    return min(memory_mb / MB_PER_VCPU, 1.0)


def vcpus(memory_mb: float) -> float:
    """vCPUs at ``memory_mb``: a share of one up to 1,769 MB, then rising linearly to six at 10,240 MB."""
    if memory_mb <= MB_PER_VCPU:
        return memory_mb / MB_PER_VCPU
    top = min(memory_mb, MAX_MEMORY_MB)
    return 1 + (MAX_VCPUS - 1) * (top - MB_PER_VCPU) / (MAX_MEMORY_MB - MB_PER_VCPU)


def basis(memory_mb: float) -> tuple[float, ...]:
    """The shapes at ``memory_mb``: I/O, serial CPU, parallel CPU, then memory pressure at each scale."""
    serial = 1 / cpu_share(memory_mb)
    pressure = (math.exp(-(memory_mb - MIN_MEMORY_MB) / scale) * serial for scale in PRESSURE_SCALES_MB)
    return (1.0, serial, 1 / vcpus(memory_mb), *pressure)


@cache
def basis_table(sizes: tuple[int, ...]) -> tuple[tuple[float, ...], ...]:
    """The shapes at every size (the sizes of one fit, or the grid the optimum is looked for on)."""
    return tuple(basis(m) for m in sizes)


class CurveTerms(CamelModel):
    """The fitted duration model, in ms: ``level * (io + serial / share + parallel / vcpus + pressure terms)``."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    io_ms: float = Field(ge=0, description="waiting that memory does not shorten")
    serial_ms: float = Field(ge=0, description="single-threaded CPU work, at one full vCPU")
    parallel_ms: float = Field(ge=0, description="CPU work that spreads over every vCPU, at one vCPU")
    pressure_ms: list[float] = Field(
        description="extra CPU work at 128 MB from memory pressure, for each fade scale (PRESSURE_SCALES_MB)"
    )
    level: float = Field(gt=0, description="mean duration over median duration, pooled over every size")

    def duration_ms(self, memory_mb: float) -> float:
        """Expected duration at ``memory_mb``."""
        return self.level * math.fsum(w * s for w, s in zip(self.weights, basis(memory_mb), strict=True))

    @property
    def weights(self) -> tuple[float, ...]:
        return (self.io_ms, self.serial_ms, self.parallel_ms, *self.pressure_ms)

    def median_duration_ms(self, memory_mb: float) -> float:
        """Median duration at ``memory_mb``: what the shape was fitted to, before the level."""
        return self.duration_ms(memory_mb) / self.level
