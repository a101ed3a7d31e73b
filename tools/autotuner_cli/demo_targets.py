"""The demo's emulated functions: what each is, its size now, and how it is tuned (a light module: the CLI checks
`autotuner demo --only` against it before anything heavy is imported)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoTarget:
    name: str
    workload: str
    memory_mb: int
    invocations_last_30_days: int  # emulated traffic, as CloudWatch's Invocations metric counts it
    adaptive: bool = False  # the adaptive search instead of sweeping DEMO_SIZES
    on_traffic: bool = False  # never invoked by the tuner: measured on production's calls to its alias live


DEMO_TARGETS = (
    DemoTarget("image-resize", "cpu-single-thread", 1024, 4_000_000),
    DemoTarget("video-transcode", "cpu-multi-thread", 2048, 150_000),
    DemoTarget("orders-api", "io-bound", 1024, 25_000_000),
    DemoTarget("ml-inference", "memory-floor", 3008, 1_200_000),
    DemoTarget("ml-inference-adaptive", "memory-floor", 3008, 1_200_000, adaptive=True),
    DemoTarget("payments", "payments", 1024, 8_000_000, on_traffic=True),
)

DEMO_NAMES = tuple(target.name for target in DEMO_TARGETS)
