"""The issue's cases, through the real workflow in the emulator: a function that needs 600-700 MB, one near its
timeout, and choices measured by too few calls. Each is applied only with its margins and its evidence, or
recommended with the reason."""

import re
from typing import Any

import pytest

from autotuner_local.stack import LocalStack
from tests.emulator import MakeTarget, notifications, results_queue, run_tuning, target_state

pytestmark = pytest.mark.slow

ORIGINAL_DESCRIPTION = "production build 42"


def candidates(output: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {c["memoryMb"]: c for c in output["candidates"]}


def assert_keeps_the_memory_margin(output: dict[str, Any]) -> None:
    """At least 10% of the applied size free over the most memory a call used at it or a smaller size that worked,
    and at least 10% above every size that ran out of memory."""
    chosen = output["power"]
    measured = candidates(output)
    worked = [c for m, c in measured.items() if m <= chosen and c["failureReason"] is None]
    most_used = max(c["maxMemoryUsedMb"] for c in worked)
    assert most_used <= 0.9 * chosen, f"{most_used} of {chosen} MB used"
    out_of_memory = [m for m, c in measured.items() if "ran out of memory" in (c["failureReason"] or "")]
    assert all(chosen >= 1.1 * m for m in out_of_memory), f"{chosen} MB, out of memory at {out_of_memory}"


def assert_has_the_evidence(output: dict[str, Any]) -> None:
    chosen = candidates(output)[output["power"]]
    warm = chosen["invocations"] - chosen["failures"] - chosen["coldStarts"]
    assert (chosen["invocations"], warm) >= (5, 4), f"{output['power']} MB: {chosen['invocations']} calls, {warm} warm"


def test_a_function_that_needs_600_to_700_mb_is_applied_with_a_tenth_of_its_memory_free(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The issue's sweep applied 704 MB with 1% of it free over the 697 MB the target used."""
    arn = make_target("buffers", "memory-per-call", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    queue = results_queue(stack)
    sizes = [512, 704, 768, 1024, 1536]

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": sizes, "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "applied"
    assert_keeps_the_memory_margin(output)
    assert output["power"] == 1024  # 704 and 768 MB worked, but with less than 10% free over what a call used
    reasons = {e["memoryMb"]: e["reason"] for e in output["decision"]["excluded"]}
    assert reasons[512].startswith("failed: ")
    assert re.fullmatch(
        r"memory margin: \d\.\d% free \(\d{3} of 704 MB used\), under the 10% minMemoryHeadroom", reasons[704]
    )
    assert reasons[768].startswith("memory margin: ")
    margins = output["decision"]["margins"]
    assert (margins["minMemoryHeadroom"], margins["maxTimeoutShare"], margins["timeoutMs"]) == (0.1, 0.8, 30_000)
    memory = margins["memory"]
    assert memory["usedMb"] == max(c["maxMemoryUsedMb"] for c in output["candidates"] if c["failureReason"] is None)
    assert memory["freeShare"] >= 0.1
    assert memory["outOfMemoryMb"] == 512
    assert target_state("buffers").memory_mb == 1024
    (message,) = notifications(queue)
    (line,) = [line for line in message["Message"].splitlines() if line.startswith("Margins: ")]
    assert line.startswith(f"Margins: 1,024 MB leaves {memory['freeShare']:.1%} free over the {memory['usedMb']} MB")


def test_the_adaptive_search_applies_a_memory_floor_function_a_tenth_above_the_floor(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The demo's adaptive floor function (out of memory below 768 MB, 700 MB used) was applied at 774 MB, twelve MB
    above a size that ran out of memory."""
    arn = make_target("model", "memory-floor", memory_mb=3008, description=ORIGINAL_DESCRIPTION)

    run = run_tuning(stack, {"lambdaARN": arn, "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "applied"
    assert_keeps_the_memory_margin(output)
    assert_has_the_evidence(output)
    assert output["search"]["invocations"] + 1 <= 36  # Plan's probe counted
    assert target_state("model").memory_mb == output["power"]


def test_a_function_near_its_timeout_is_applied_where_its_slowest_call_keeps_a_fifth_of_the_timeout(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The issue's one-thread function takes 2.6 s at 128 MB with a 3 s timeout: the sweep applied 128 MB, whose
    slowest measured call took 2,812 ms."""
    arn = make_target("report", "near-timeout", memory_mb=1024, timeout_s=3, description=ORIGINAL_DESCRIPTION)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": [128, 256, 512], "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "applied"
    assert output["power"] != 128
    assert candidates(output)[output["power"]]["slowestDurationMs"] <= 2400
    reasons = {e["memoryMb"]: e["reason"] for e in output["decision"]["excluded"]}
    assert re.fullmatch(
        r"timeout margin: its slowest call took 2,\d{3} ms, \d\d% of the 3 s timeout \(maxTimeoutShare 80%\)",
        reasons[128],
    )
    timeout = output["decision"]["margins"]["timeout"]
    assert (timeout["timeoutMs"], timeout["share"]) == (3000, pytest.approx(timeout["slowestMs"] / 3000))
    assert target_state("report").memory_mb == output["power"]


def test_when_no_size_keeps_the_timeout_margin_nothing_is_applied_and_the_needed_timeout_is_named(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("report", "near-timeout", memory_mb=1024, timeout_s=3, description=ORIGINAL_DESCRIPTION)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [128], "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "no-candidate"
    assert output["applied"] is None
    needed = output["decision"]["margins"]["timeoutNeededS"]
    assert needed == 4  # 2.6 s calls, and 80% of 4 s is 3.2 s
    assert (
        f"A timeout of {needed} s would make 128 MB, the cheapest size the timeout margin excluded, safe"
        in (output["decision"]["reason"])
    )
    state = target_state("report")
    assert (state.memory_mb, state.description, state.aliases) == (1024, ORIGINAL_DESCRIPTION, {})


def test_a_choice_measured_by_too_few_calls_is_recommended_not_applied(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """A new user saw the adaptive search apply 1,145 MB from one warm call: with 10 invocations it cannot measure
    any size 5 times, 4 of them warm."""
    arn = make_target("resize", "cpu-single-thread", memory_mb=1024, description=ORIGINAL_DESCRIPTION)

    run = run_tuning(stack, {"lambdaARN": arn, "maxInvocations": 10, "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "recommended"
    assert output["applied"] is None
    refusal = output["decision"]["applyRefusal"]
    assert re.fullmatch(
        rf"{output['power']} MB was measured by [1-4] calls?, [0-3] of them warm: auto-apply needs at least 5, 4 of "
        "them warm",
        refusal,
    ), refusal
    assert target_state("resize").memory_mb == 1024


def test_the_adaptive_search_measures_the_choice_with_every_weighted_payload_before_applying_it(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The applied size's calls sent every payload of a weighted mix, one of them a tenth of the traffic."""
    arn = make_target("orders", "io-bound", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    payload = [
        {"payload": {"order": "small"}, "weight": 8},
        {"payload": {"order": "large", "work": 1.5}, "weight": 1},
        {"payload": {"order": "bulk", "work": 2}, "weight": 1},
    ]

    run = run_tuning(stack, {"lambdaARN": arn, "payload": payload, "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "applied", output["decision"]["applyRefusal"]
    evidence = output["decision"]["margins"]["evidence"]
    assert (evidence["payloadsSent"], evidence["payloads"]) == (3, 3)
    assert (evidence["calls"], evidence["warmCalls"]) >= (7, 4)  # the third payload is first sent by the 7th call
    assert_has_the_evidence(output)
    assert_keeps_the_memory_margin(output)
