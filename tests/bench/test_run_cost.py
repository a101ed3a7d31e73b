"""Each tool's run is priced as that tool runs: ours with our state machine and Lambdas, the reference tool with its
own (bench/reference_tool.py)."""

from dataclasses import replace
from pathlib import Path

import pytest
from bench.methods import Outcome
from bench.reference_tool import lambda_invocations, transitions
from bench.report import ANALYZE_MEMORY_MB, TUNER_MEMORY_MB, WAITING_MEMORY_MB, tool_run_cost

from autotuner.domain.costs.pricing import prices_for_region
from autotuner.domain.costs.run_cost import ESTIMATED_ALIAS_MS, ESTIMATED_STEP_MS
from autotuner_local.template import function_properties, load_template

US_EAST_1 = prices_for_region("us-east-1")
TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
RUN = Outcome(
    chosen_mb=512,
    invocations=60,
    target_cost=0.001,
    rounds=1,
    prepares=1,
    sizes=6,
    tasks=6,
    single_task_rounds=0,
    wall_ms=12_000.0,
    tasks_waited_ms=11_000.0,
)


def test_the_reference_tool_enters_its_own_states_and_runs_its_own_lambdas() -> None:
    # Initializer; Publisher and IsCountReached for each of six sizes and once more to put $LATEST back;
    # Branching and an Executor per size; Cleaner, Analyzer, Optimizer.
    assert transitions(6) == 1 + 2 * 7 + 1 + 6 + 3
    assert lambda_invocations(6) == 1 + 7 + 6 + 3


def test_the_reference_tools_run_is_priced_with_its_own_state_machine_and_lambdas() -> None:
    cost = tool_run_cost("reference", RUN)

    elapsed_s = (12_000 + 7 * ESTIMATED_ALIAS_MS + 4 * ESTIMATED_STEP_MS) / 1000
    lambdas = elapsed_s * 128 / 1024 * US_EAST_1.x86_64_gb_second + 17 * US_EAST_1.request
    assert cost.tuner_lambda_cost == pytest.approx(lambdas)
    assert cost.transitions == 25
    assert cost.transitions_cost == pytest.approx(25 * 0.000025)
    assert cost.total == pytest.approx(0.001 + lambdas + 25 * 0.000025)


def test_ours_is_priced_with_our_state_machine_and_lambdas() -> None:
    cost = tool_run_cost("adaptive", RUN)

    # Receive, Plan, MeasuredBy, Cleanup, Notify; Prepare, Measure, Analyze, MoreRounds; six tasks
    assert cost.transitions == 5 + 4 + 6
    # Plan (its probe's second included), Cleanup and Notify at 256 MB; Prepare (the six versions) and the Measure
    # tasks' waits at 192; Analyze at 1024
    other_s = (1_000 + 3 * ESTIMATED_STEP_MS) / 1000
    waiting_s = (11_000 + 6 * ESTIMATED_ALIAS_MS + ESTIMATED_STEP_MS) / 1000
    analyze_s = ESTIMATED_STEP_MS / 1000
    gb_s = other_s * 256 / 1024 + waiting_s * 192 / 1024 + analyze_s * 1024 / 1024
    lambdas = gb_s * US_EAST_1.arm64_gb_second + (6 + 2 + 3) * US_EAST_1.request
    assert cost.tuner_lambda_cost == pytest.approx(lambdas)


def test_ours_prices_a_round_without_prepare_a_state_and_a_step_less() -> None:
    three_rounds = replace(RUN, rounds=3, prepares=3, tasks=8)
    full, skipped = (
        tool_run_cost("adaptive", three_rounds),
        tool_run_cost("adaptive", replace(three_rounds, prepares=2)),
    )

    assert full.transitions - skipped.transitions == 1
    step = ESTIMATED_STEP_MS / 1000 * 192 / 1024 * US_EAST_1.arm64_gb_second + US_EAST_1.request
    assert full.tuner_lambda_cost - skipped.tuner_lambda_cost == pytest.approx(step)


def test_ours_prices_a_round_of_one_task_a_state_less() -> None:
    three_rounds = replace(RUN, rounds=3, prepares=3, tasks=3)
    mapped, single = (
        tool_run_cost("adaptive", three_rounds),
        tool_run_cost("adaptive", replace(three_rounds, single_task_rounds=3)),
    )

    assert mapped.transitions - single.transitions == 3
    assert mapped.tuner_lambda_cost == pytest.approx(single.tuner_lambda_cost)  # the same Lambdas either way


def test_our_steps_are_priced_at_the_memory_the_template_gives_their_functions() -> None:
    memory = {name: function_properties(TEMPLATE, f"{name}Function")["MemorySize"]
              for name in ("Plan", "Prepare", "Measure", "Analyze", "Cleanup", "Notify")}  # fmt: skip
    waiting = dict.fromkeys(("Prepare", "Measure"), WAITING_MEMORY_MB)
    assert memory == {**dict.fromkeys(memory, TUNER_MEMORY_MB), **waiting, "Analyze": ANALYZE_MEMORY_MB}


def test_analyze_is_priced_at_its_own_memory() -> None:
    one_more_round = tool_run_cost("adaptive", replace(RUN, rounds=2)).tuner_lambda_cost
    analyze = ESTIMATED_STEP_MS / 1000 * ANALYZE_MEMORY_MB / 1024 * US_EAST_1.arm64_gb_second + US_EAST_1.request
    assert one_more_round - tool_run_cost("adaptive", RUN).tuner_lambda_cost == pytest.approx(analyze)
