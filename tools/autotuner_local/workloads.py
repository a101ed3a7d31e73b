"""Emulated target functions that behave as Lambda's documented CPU model says, seeded and reproducible.

Lambda allocates CPU in proportion to memory: one vCPU's worth at 1,769 MB, up to six vCPUs at 10,240 MB.
Single-threaded code gains nothing past one vCPU; parallel code keeps gaining (Amdahl's law); waiting on I/O
does not speed up with memory at all. Below a memory floor the function runs out of memory. A cold start adds
an INIT phase. Noise is log-normal, optionally with a slow mode (a cache miss, a GC pause). The demo, the tests
and the benchmark all use this one model.
"""

import math
import random
from dataclasses import dataclass

from autotuner.domain.lambda_logs import InvocationReport, InvocationStatus

MB_PER_VCPU = 1769
MAX_VCPUS = 6
MAX_MEMORY_MB = 10_240


def vcpus(memory_mb: int) -> float:
    """The CPU a function gets at ``memory_mb``: a share of one vCPU up to 1,769 MB, then rising linearly to six
    vCPUs at 10,240 MB."""
    if memory_mb <= MB_PER_VCPU:
        return memory_mb / MB_PER_VCPU
    return 1 + (MAX_VCPUS - 1) * (min(memory_mb, MAX_MEMORY_MB) - MB_PER_VCPU) / (MAX_MEMORY_MB - MB_PER_VCPU)


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    cpu_ms: float  # CPU work, in ms at one full vCPU
    parallel_fraction: float = 0.0  # share of the CPU work that spreads across vCPUs
    io_ms: float = 0.0  # waiting on the network or disk: memory does not shorten it
    memory_floor_mb: int = 0  # below this the function runs out of memory
    memory_used_mb: int = 60
    init_ms: float = 150.0
    noise_sigma: float = 0.04  # log-normal sigma of every duration
    slow_probability: float = 0.0  # bimodal workloads: how often the slow mode happens
    slow_factor: float = 1.0

    def base_duration_ms(self, memory_mb: int, work: float = 1.0) -> float:
        """Duration before noise: CPU work at the memory's share of CPU, plus I/O wait."""
        share = vcpus(memory_mb)
        serial = self.cpu_ms * (1 - self.parallel_fraction) / min(1.0, share)
        parallel = self.cpu_ms * self.parallel_fraction / share
        return (serial + parallel) * work + self.io_ms

    def expected_duration_ms(self, memory_mb: int, work: float = 1.0) -> float:
        """Mean duration over the noise (the benchmark's ground truth)."""
        slow = 1 + self.slow_probability * (self.slow_factor - 1)
        return self.base_duration_ms(memory_mb, work) * slow * math.exp(self.noise_sigma**2 / 2)

    def runs_out_of_memory(self, memory_mb: int) -> bool:
        return memory_mb < self.memory_floor_mb

    def sample(
        self,
        memory_mb: int,
        rng: random.Random,
        *,
        cold: bool,
        timeout_ms: float = 900_000,
        work: float = 1.0,
        request_id: str = "",
    ) -> InvocationReport:
        """One invocation as Lambda would report it."""
        duration = self.base_duration_ms(memory_mb, work) * rng.lognormvariate(0, self.noise_sigma)
        if self.slow_probability and rng.random() < self.slow_probability:
            duration *= self.slow_factor
        init = self.init_ms * rng.lognormvariate(0, 0.1) if cold else None
        status, error_type, used = InvocationStatus.SUCCESS, None, min(memory_mb, self.memory_used_mb)
        if self.runs_out_of_memory(memory_mb):
            status, error_type, used = InvocationStatus.OUT_OF_MEMORY, "Runtime.OutOfMemory", memory_mb
            duration *= rng.uniform(0.2, 0.9)  # it dies part-way through
        if duration > timeout_ms:
            status, duration = InvocationStatus.TIMEOUT, timeout_ms
        billed = math.ceil(duration) + (math.ceil(init) if init is not None else 0)  # INIT billed since 2025-08
        return InvocationReport(
            request_id=request_id,
            duration_ms=round(duration, 2),
            billed_duration_ms=billed,
            memory_size_mb=memory_mb,
            max_memory_used_mb=used,
            init_duration_ms=round(init, 2) if init is not None else None,
            status=status,
            error_type=error_type,
        )


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            name="cpu-single-thread",
            description="image resizing in one thread: faster up to one vCPU (1,769 MB), no faster after",
            cpu_ms=400.0,
            io_ms=5.0,
            memory_used_mb=90,
            init_ms=220.0,
        ),
        Workload(
            name="cpu-multi-thread",
            description="parallel video transcoding: keeps speeding up to six vCPUs",
            cpu_ms=6000.0,
            parallel_fraction=0.9,
            io_ms=20.0,
            memory_used_mb=300,
            init_ms=400.0,
        ),
        Workload(
            name="io-bound",
            description="an API call and a database write: waiting does not get faster with memory",
            cpu_ms=8.0,
            io_ms=120.0,
            memory_floor_mb=160,
            memory_used_mb=140,
            init_ms=300.0,
        ),
        Workload(
            name="memory-floor",
            description="loads a 600 MB model: runs out of memory below 768 MB",
            cpu_ms=900.0,
            io_ms=30.0,
            memory_floor_mb=768,
            memory_used_mb=700,
            init_ms=1500.0,
        ),
        Workload(
            name="cold-start-heavy",
            description="a Java-style start-up: short handler, long INIT",
            cpu_ms=40.0,
            io_ms=10.0,
            memory_used_mb=200,
            init_ms=2500.0,
        ),
        Workload(
            name="noisy-bimodal",
            description="a cache that misses one call in five and then takes four times as long",
            cpu_ms=150.0,
            io_ms=40.0,
            memory_used_mb=120,
            noise_sigma=0.12,
            slow_probability=0.2,
            slow_factor=4.0,
        ),
    )
}
