"""Emulated target functions that behave as Lambda's documented CPU model says, seeded and reproducible.

Lambda allocates CPU in proportion to memory: one vCPU's worth at 1,769 MB, up to six vCPUs at 10,240 MB.
Single-threaded code gains nothing past one vCPU; parallel code keeps gaining (Amdahl's law); waiting on I/O
does not speed up with memory at all. Close to its working set a function does extra CPU work (garbage
collection, evicted caches) that fades as memory grows. Below a memory floor the function runs out of memory; a
function whose calls need more or less memory by payload raises its floor call by call. A call that runs past the
function's timeout times out. A cold start adds an INIT phase. Noise is log-normal, optionally with a slow mode (a
cache miss, a GC pause). On arm64 the CPU work takes ``arm64_factor`` times as long as on x86_64 (I/O the same):
1 for most workloads, less for one whose code is architecture-neutral and runs faster there. The demo, the tests
and the benchmark all use this one model.

``WORKLOADS`` are fixed functions (the demo's and the tests'); ``FAMILIES`` draw a function's parameters at
random per seed, so that the benchmark scores a method on a family of functions rather than on one point.
"""

import functools
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.search.duration_model import vcpus


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
    pressure_mb: int = 0  # memory pressure: CPU work grows by pressure_factor x (pressure_mb / memory)^2
    pressure_factor: float = 0.0
    memory_spread_mb: int = 0  # a call needs up to this much more memory (its payload), drawn per call
    timeout_s: int = 900  # the benchmark's function timeout; the emulator's functions have their own Timeout
    arm64_factor: float = 1.0  # the CPU work on arm64, relative to x86_64

    def base_duration_ms(
        self, memory_mb: int, work: float = 1.0, architecture: Architecture = Architecture.X86_64
    ) -> float:
        """Duration before noise: CPU work (more of it under memory pressure) at the memory's share of CPU, plus
        I/O wait."""
        share = vcpus(memory_mb)
        pressure = 1 + self.pressure_factor * (self.pressure_mb / memory_mb) ** 2
        serial = self.cpu_ms * (1 - self.parallel_fraction) / min(1.0, share)
        parallel = self.cpu_ms * self.parallel_fraction / share
        speed = self.arm64_factor if architecture is Architecture.ARM64 else 1.0
        return (serial + parallel) * pressure * work * speed + self.io_ms

    def expected_duration_ms(
        self, memory_mb: int, work: float = 1.0, architecture: Architecture = Architecture.X86_64
    ) -> float:
        """Mean duration over the noise (the benchmark's ground truth)."""
        slow = 1 + self.slow_probability * (self.slow_factor - 1)
        return self.base_duration_ms(memory_mb, work, architecture) * slow * math.exp(self.noise_sigma**2 / 2)

    def runs_out_of_memory(self, memory_mb: int, extra_mb: float = 0.0) -> bool:
        """Whether a call that needs ``extra_mb`` more than the least runs out of memory at ``memory_mb``."""
        return memory_mb < self.memory_floor_mb + extra_mb

    @property
    def never_out_of_memory_mb(self) -> int:
        """The smallest size no call runs out of memory at."""
        return self.memory_floor_mb + self.memory_spread_mb

    @property
    def most_memory_used_mb(self) -> int:
        """The most memory a call that does not run out uses."""
        return self.memory_used_mb + self.memory_spread_mb

    def duration_quantile_ms(self, memory_mb: int, quantile: float) -> float:
        """The ``quantile`` of one call's duration (INIT left out), over the noise and the slow mode."""
        spread = _noise_quantile(self.noise_sigma, self.slow_probability, self.slow_factor, quantile)
        return self.base_duration_ms(memory_mb) * spread

    def sample(
        self,
        memory_mb: int,
        rng: random.Random,
        *,
        cold: bool,
        timeout_ms: float = 900_000,
        work: float = 1.0,
        request_id: str = "",
        architecture: Architecture = Architecture.X86_64,
    ) -> InvocationReport:
        """One invocation as Lambda would report it."""
        duration = self.base_duration_ms(memory_mb, work, architecture) * rng.lognormvariate(0, self.noise_sigma)
        if self.slow_probability and rng.random() < self.slow_probability:
            duration *= self.slow_factor
        init = self.init_ms * rng.lognormvariate(0, 0.1) if cold else None
        extra = rng.uniform(0, self.memory_spread_mb) if self.memory_spread_mb else 0.0
        status, error_type = InvocationStatus.SUCCESS, None
        used = min(memory_mb, round(self.memory_used_mb + extra))
        if self.runs_out_of_memory(memory_mb, extra):
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


@functools.cache
def _noise_quantile(sigma: float, slow_probability: float, slow_factor: float, quantile: float) -> float:
    """The ``quantile`` of the factor noise and the slow mode multiply a call's duration by."""
    normal = statistics.NormalDist()
    sigma = sigma or 1e-9

    def below(factor: float) -> float:  # the share of calls whose factor is under ``factor``
        fast = normal.cdf(math.log(factor) / sigma)
        if not slow_probability:
            return fast
        return (1 - slow_probability) * fast + slow_probability * normal.cdf(math.log(factor / slow_factor) / sigma)

    low, high = math.exp(-6 * sigma), max(1.0, slow_factor) * math.exp(6 * sigma)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if below(middle) < quantile else (low, middle)
    return high


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
            name="memory-per-call",
            description="waits 250 ms on I/O holding its payload in memory: each call needs 600-700 MB",
            cpu_ms=10.0,
            io_ms=250.0,
            memory_floor_mb=600,
            memory_used_mb=600,
            memory_spread_mb=100,
            init_ms=500.0,
        ),
        Workload(
            name="near-timeout",
            description="one thread that takes 2.6 s at 128 MB (a 3 s timeout leaves it no margin)",
            cpu_ms=186.0,
            io_ms=20.0,
            memory_used_mb=100,
            init_ms=300.0,
            timeout_s=3,
        ),
        Workload(
            name="arch-neutral",
            description="pure Python image filters, no native code: runs on either architecture, 25% faster on arm64",
            cpu_ms=400.0,
            io_ms=10.0,
            memory_used_mb=110,
            init_ms=250.0,
            arm64_factor=0.75,
        ),
        Workload(
            name="payments",
            description="charges a card: 120 ms waiting on the card network, a little CPU that garbage collection "
            "slows below about 500 MB",
            cpu_ms=30.0,
            io_ms=120.0,
            memory_used_mb=180,
            init_ms=600.0,
            pressure_mb=400,
            pressure_factor=1.0,
            noise_sigma=0.05,
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


@dataclass(frozen=True)
class WorkloadFamily:
    """Functions of one kind, their parameters drawn at random per seed (the same seed, the same function)."""

    name: str
    description: str
    draw_parameters: Callable[[random.Random], Workload]

    def draw(self, seed: int) -> Workload:
        return self.draw_parameters(random.Random(f"{self.name}:{seed}"))


def _single_thread(rng: random.Random) -> Workload:
    return Workload(
        name="cpu-single-thread",
        description="image resizing in one thread",
        cpu_ms=rng.uniform(200, 800),
        io_ms=rng.uniform(2, 20),
        memory_used_mb=90,
        init_ms=220.0,
    )


def _multi_thread(rng: random.Random) -> Workload:
    return Workload(
        name="cpu-multi-thread",
        description="parallel video transcoding",
        cpu_ms=rng.uniform(3000, 9000),
        parallel_fraction=rng.uniform(0.85, 0.95),
        io_ms=rng.uniform(10, 40),
        memory_used_mb=300,
        init_ms=400.0,
    )


def _io_bound(rng: random.Random) -> Workload:
    return Workload(
        name="io-bound",
        description="an API call and a database write",
        cpu_ms=rng.uniform(4, 15),
        io_ms=rng.uniform(80, 200),
        memory_floor_mb=rng.randint(140, 200),
        memory_used_mb=140,
        init_ms=300.0,
    )


def _memory_floor(rng: random.Random) -> Workload:
    floor = rng.randint(600, 900)
    return Workload(
        name="memory-floor",
        description="loads a model into memory",
        cpu_ms=rng.uniform(500, 1500),
        io_ms=rng.uniform(10, 50),
        memory_floor_mb=floor,
        memory_used_mb=floor - 60,
        init_ms=1500.0,
    )


def _cold_start_heavy(rng: random.Random) -> Workload:
    return Workload(
        name="cold-start-heavy",
        description="a Java-style start-up",
        cpu_ms=rng.uniform(20, 80),
        io_ms=rng.uniform(5, 20),
        memory_used_mb=200,
        init_ms=rng.uniform(1500, 3500),
    )


def _noisy_bimodal(rng: random.Random) -> Workload:
    return Workload(
        name="noisy-bimodal",
        description="a cache that misses now and then",
        cpu_ms=rng.uniform(100, 250),
        io_ms=rng.uniform(20, 60),
        memory_used_mb=120,
        noise_sigma=rng.uniform(0.08, 0.15),
        slow_probability=rng.uniform(0.1, 0.25),
        slow_factor=rng.uniform(2.5, 4.5),
    )


def _knee_with_pressure(rng: random.Random) -> Workload:
    return Workload(
        name="knee-pressure",
        description="one thread under memory pressure",
        cpu_ms=rng.uniform(300, 900),
        io_ms=rng.uniform(5, 40),
        memory_used_mb=200,
        pressure_mb=rng.randint(250, 450),
        pressure_factor=rng.uniform(0.3, 2.0),
    )


def _sublinear_threads(rng: random.Random) -> Workload:
    return Workload(
        name="multi-thread-sublinear",
        description="threads that share a lock",
        cpu_ms=rng.uniform(1000, 4000),
        parallel_fraction=rng.uniform(0.5, 0.8),
        io_ms=rng.uniform(10, 60),
        memory_used_mb=250,
        pressure_mb=rng.randint(150, 300),
        pressure_factor=rng.uniform(0.0, 1.0),
    )


def _floor_off_grid(rng: random.Random) -> Workload:
    floor = rng.randint(650, 750)
    return Workload(
        name="io-floor-off-grid",
        description="waits on I/O with a large in-memory index",
        cpu_ms=rng.uniform(10, 40),
        io_ms=rng.uniform(100, 300),
        memory_floor_mb=floor,
        memory_used_mb=floor - 40,
        init_ms=800.0,
    )


def _memory_per_call(rng: random.Random) -> Workload:
    least = rng.randint(450, 650)
    return Workload(
        name="memory-per-call",
        description="waits on I/O holding its payload in memory",
        cpu_ms=rng.uniform(5, 40),
        io_ms=rng.uniform(100, 300),
        memory_floor_mb=least,
        memory_used_mb=least,
        memory_spread_mb=rng.randint(50, 150),
        init_ms=500.0,
    )


def _near_timeout(rng: random.Random) -> Workload:
    timeout_s = rng.choice((3, 5, 10, 15))
    io_ms = rng.uniform(5, 30)
    at_128_ms = timeout_s * 1000 * rng.uniform(0.75, 1.15)  # some calls at 128 MB time out
    return Workload(
        name="near-timeout",
        description="one thread close to its timeout at the smallest sizes",
        cpu_ms=(at_128_ms - io_ms) * vcpus(128),
        io_ms=io_ms,
        memory_used_mb=100,
        noise_sigma=rng.uniform(0.03, 0.08),
        init_ms=300.0,
        timeout_s=timeout_s,
    )


FAMILIES: dict[str, WorkloadFamily] = {
    f.name: f
    for f in (
        WorkloadFamily("cpu-single-thread", "one thread, 200-800 ms at one vCPU, 2-20 ms of I/O", _single_thread),
        WorkloadFamily(
            "cpu-multi-thread", "3-9 s of CPU work, 85-95% of it parallel (Amdahl), 10-40 ms of I/O", _multi_thread
        ),
        WorkloadFamily("io-bound", "80-200 ms of I/O, 4-15 ms of CPU; out of memory below 140-200 MB", _io_bound),
        WorkloadFamily(
            "memory-floor", "0.5-1.5 s of one thread; out of memory below 600-900 MB (off the grid)", _memory_floor
        ),
        WorkloadFamily("cold-start-heavy", "20-80 ms handler, 1.5-3.5 s INIT", _cold_start_heavy),
        WorkloadFamily(
            "noisy-bimodal",
            "8-15% noise and a slow mode 2.5-4.5 times slower in 10-25% of calls",
            _noisy_bimodal,
        ),
        WorkloadFamily(
            "knee-pressure",
            "one thread, 0.3-0.9 s, memory pressure below 250-450 MB: the optimum sits at or below the one-vCPU knee",
            _knee_with_pressure,
        ),
        WorkloadFamily(
            "multi-thread-sublinear",
            "1-4 s of CPU work, only 50-80% of it parallel, some memory pressure: the optimum between grid sizes",
            _sublinear_threads,
        ),
        WorkloadFamily(
            "io-floor-off-grid", "100-300 ms of I/O; out of memory below 650-750 MB (off the grid)", _floor_off_grid
        ),
        WorkloadFamily(
            "memory-per-call",
            "100-300 ms of I/O; each call needs 450-650 MB plus up to 50-150 MB more by payload, and runs out of "
            "memory below what it needs",
            _memory_per_call,
        ),
        WorkloadFamily(
            "near-timeout",
            "one thread taking 75-115% of its 3, 5, 10 or 15 s timeout at 128 MB, 3-8% noise",
            _near_timeout,
        ),
    )
}
