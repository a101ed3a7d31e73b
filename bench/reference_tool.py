"""aws-lambda-power-tuning's own run, as its state machine and template define it (version 4.4.0): what running it
costs besides the target's invocations, so that the benchmark prices each tool as it runs.

Its state machine (statemachine/statemachine.asl.json): Initializer; then the Publisher task and the IsCountReached
Choice once per memory size, and once more, since the Initializer lists the function's original configuration
last so that a Publisher puts $LATEST back; Branching, a Map with one Executor per size, each invoking its size's
alias ``num`` times; then Cleaner, Analyzer and Optimizer (which runs whether or not autoOptimize is set). Its
Lambdas (template.yml's Globals): nodejs at 128 MB, with no Architectures, so x86_64.

That is a successful run with the default input (no onlyColdStarts, which adds a Publisher per invocation); a failed
one takes another path (Executor retries, then CleanUpOnError) and is priced here as if it had not failed.
"""

from autotuner.domain.costs.pricing import Architecture, PriceSheet, gb_seconds
from autotuner.domain.costs.run_cost import ESTIMATED_ALIAS_MS, ESTIMATED_STEP_MS, RunCost, run_cost

LAMBDA_MEMORY_MB = 128
LAMBDA_ARCHITECTURE = Architecture.X86_64
ONCE = ("Initializer", "Branching", "Cleaner", "Analyzer", "Optimizer")  # states every run enters once
PER_PUBLISH = ("Publisher", "IsCountReached")
PER_SIZE = ("Executor",)
# The Lambda tasks that neither publish a version nor invoke the target: ESTIMATED_STEP_MS each.
OTHER_STEPS = ("Initializer", "Cleaner", "Analyzer", "Optimizer")


def publishes(sizes: int) -> int:
    """Publisher runs: one per size, and one that puts $LATEST back as it was."""
    return sizes + 1


def transitions(sizes: int) -> int:
    """States a run over ``sizes`` memory sizes enters."""
    return len(ONCE) + len(PER_PUBLISH) * publishes(sizes) + len(PER_SIZE) * sizes


def lambda_invocations(sizes: int) -> int:
    return len(OTHER_STEPS) + publishes(sizes) + len(PER_SIZE) * sizes


def reference_run_cost(
    *, sizes: int, target_invocations: int, target_cost: float, waited_ms: float, prices: PriceSheet
) -> RunCost:
    """The target's invocations, plus the tool's own Lambdas and transitions, at the same wall-time estimates as
    ours: ESTIMATED_ALIAS_MS per version published, ESTIMATED_STEP_MS per other step, and each Executor waiting
    for its size's invocations (``waited_ms`` in all)."""
    elapsed_ms = waited_ms + ESTIMATED_ALIAS_MS * publishes(sizes) + ESTIMATED_STEP_MS * len(OTHER_STEPS)
    return run_cost(
        target_invocations=target_invocations,
        target_cost=target_cost,
        tuner_gb_seconds=gb_seconds(elapsed_ms, LAMBDA_MEMORY_MB),
        tuner_invocations=lambda_invocations(sizes),
        tuner_architecture=LAMBDA_ARCHITECTURE,
        transition_count=transitions(sizes),
        prices=prices,
    )
