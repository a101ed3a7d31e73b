"""What an alarm's own definition means for a re-tune: the constraint a run adds so the alarm stays quiet, the
failure evidence an Errors alarm needs, and why memory is not the answer to the rest."""

import pytest

from autotuner.domain.automation.alarm_semantics import (
    DEFAULT_DURATION_MARGIN,
    FAILURE_HEADROOM,
    AlarmMeaning,
    FailureCounts,
    alarm_meaning,
    count_failures,
    merged_constraints,
    with_failure_evidence,
)
from autotuner.domain.automation.alarms import LAMBDA_NAMESPACE, AlarmChange, MetricRef
from autotuner.domain.measuring.lambda_logs import (
    InvocationReport,
    InvocationStatus,
    format_platform_report,
    format_report_line,
)

ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders"


def alarm(*metrics: str, threshold: float | None = 1000.0, statistic: str | None = "p99",
          namespace: str = LAMBDA_NAMESPACE) -> AlarmChange:  # fmt: skip
    return AlarmChange(
        alarm_name="orders",
        alarm_arn=ALARM_ARN,
        state="ALARM",
        reason="Threshold Crossed",
        time="2026-11-27T10:04:40.989+0000",
        metrics=[MetricRef(namespace=namespace, name=m, dimensions={"FunctionName": "orders"}) for m in metrics],
        statistic=statistic,
        threshold=threshold,
    )


def report(status: InvocationStatus = InvocationStatus.SUCCESS, error_type: str | None = None) -> InvocationReport:
    return InvocationReport(request_id="r", duration_ms=120.0, billed_duration_ms=121, memory_size_mb=512,
                            max_memory_used_mb=512 if status is InvocationStatus.OUT_OF_MEMORY else 90,
                            status=status, error_type=error_type)  # fmt: skip


# ---- Duration: a p95 constraint under the threshold ------------------------------------------------------------


def test_a_duration_alarm_keeps_p95_under_its_threshold_times_the_margin() -> None:
    meaning = alarm_meaning(alarm("Duration", threshold=1000, statistic="p99"), duration_margin=0.8)
    assert meaning.metric == "Duration"
    assert meaning.constraints == {"maxP95DurationMs": 800.0}
    assert meaning.constraint == "maxP95DurationMs 800 (the alarm's p99 threshold 1000 ms x 0.8)"
    assert (meaning.skip_code, meaning.needs_failure_evidence) == (None, False)


@pytest.mark.parametrize("statistic", ["Average", "Maximum", "p50", "p95", None])
def test_every_duration_statistic_becomes_the_same_p95_constraint(statistic: str | None) -> None:
    """A p95 under the threshold keeps the average and every lower percentile under it too."""
    meaning = alarm_meaning(alarm("Duration", threshold=250, statistic=statistic), duration_margin=0.9)
    assert meaning.constraints == {"maxP95DurationMs": 225.0}
    assert f"the alarm's {statistic or 'Duration'} threshold 250 ms x 0.9" in (meaning.constraint or "")


def test_the_limit_is_rounded_to_a_tenth_of_a_millisecond() -> None:
    meaning = alarm_meaning(alarm("Duration", threshold=1234.56), duration_margin=DEFAULT_DURATION_MARGIN)
    assert meaning.constraints == {"maxP95DurationMs": 987.6}  # 1234.56 x 0.8 = 987.648


def test_a_duration_alarm_without_a_readable_threshold_starts_nothing() -> None:
    meaning = alarm_meaning(alarm("Duration", threshold=None), duration_margin=0.8)
    assert (meaning.metric, meaning.skip_code, meaning.constraints) == ("Duration", "NoThreshold", {})
    assert "threshold could not be read" in (meaning.skip_reason or "")


# ---- Errors: memory helps only against time-outs and out-of-memory endings -------------------------------------


def test_an_errors_alarm_asks_for_failure_evidence_before_it_adds_anything() -> None:
    meaning = alarm_meaning(alarm("Errors"), duration_margin=0.8)
    assert meaning == AlarmMeaning(metric="Errors", needs_failure_evidence=True)


def test_errors_decide_a_metric_math_alarm_that_also_watches_duration() -> None:
    meaning = alarm_meaning(alarm("Duration", "Errors"), duration_margin=0.8)
    assert (meaning.metric, meaning.needs_failure_evidence, meaning.constraints) == ("Errors", True, {})


def test_errors_with_time_outs_or_out_of_memory_endings_re_tune_with_memory_headroom() -> None:
    failures = FailureCounts(reports=40, timeouts=2, out_of_memory=1)
    meaning = with_failure_evidence(alarm_meaning(alarm("Errors"), duration_margin=0.8), failures)
    assert meaning.skip_code is None
    assert meaning.constraints == {"minMemoryHeadroom": FAILURE_HEADROOM}
    assert meaning.constraint == (
        "minMemoryHeadroom 0.2 (the logs show 2 time-outs and 1 out-of-memory endings in 40 recent REPORT lines)"
    )


def test_errors_that_neither_time_out_nor_run_out_of_memory_are_not_a_memory_problem() -> None:
    failures = FailureCounts(reports=40)
    meaning = with_failure_evidence(alarm_meaning(alarm("Errors"), duration_margin=0.8), failures)
    assert (meaning.skip_code, meaning.constraints) == ("ErrorsNotMemory", {})
    assert meaning.skip_reason == (
        "watches Errors, but the function's logs show 0 time-outs and 0 out-of-memory endings in 40 recent REPORT "
        "lines; more memory would not help"
    )


# ---- the rest: memory is not the answer ------------------------------------------------------------------------


def test_a_throttles_alarm_is_about_concurrency_not_memory() -> None:
    meaning = alarm_meaning(alarm("Throttles"), duration_margin=0.8)
    assert (meaning.metric, meaning.skip_code, meaning.constraints) == ("Throttles", "Throttles", {})
    assert meaning.skip_reason == (
        "watches Throttles: concurrency, not memory, decides throttling; memory left unchanged"
    )


def test_duration_with_throttles_is_still_a_throttling_alarm() -> None:
    assert alarm_meaning(alarm("Duration", "Throttles"), duration_margin=0.8).skip_code == "Throttles"


@pytest.mark.parametrize("metric", ["ConcurrentExecutions", "Invocations", "IteratorAge"])
def test_a_metric_memory_does_not_decide_starts_nothing_and_says_which(metric: str) -> None:
    meaning = alarm_meaning(alarm(metric), duration_margin=0.8)
    assert (meaning.metric, meaning.skip_code, meaning.constraints) == (metric, "MetricNotMemory", {})
    assert meaning.skip_reason == f"watches {metric}, which a memory size does not decide; memory left unchanged"


def test_an_alarm_on_another_service_watches_no_lambda_metric() -> None:
    meaning = alarm_meaning(alarm("Duration", namespace="AWS/States"), duration_margin=0.8)
    assert (meaning.metric, meaning.skip_code) == (None, "MetricNotMemory")
    assert (meaning.skip_reason or "").startswith("watches no Lambda metric,")


# ---- counting the endings in the function's logs ---------------------------------------------------------------


def test_failures_are_counted_from_text_and_json_reports_alike() -> None:
    messages = [
        format_report_line(report()),
        format_report_line(report(InvocationStatus.TIMEOUT)),
        format_report_line(report(InvocationStatus.OUT_OF_MEMORY, "Runtime.OutOfMemory")),
        format_platform_report(report(), "2026-11-27T10:00:00Z"),
        format_platform_report(report(InvocationStatus.OUT_OF_MEMORY, "Runtime.OutOfMemory"), "2026-11-27T10:00:01Z"),
        format_report_line(report(InvocationStatus.ERROR, "ValueError")),
    ]
    assert count_failures(messages) == FailureCounts(reports=6, timeouts=1, out_of_memory=2)


def test_a_runtime_time_out_line_counts_when_the_report_line_does_not_say_so() -> None:
    """Older text REPORT lines carry no Status; the runtime's own line is the time-out's only trace."""
    messages = [
        "2026-11-27T10:00:03.000Z 1f2e Task timed out after 3.00 seconds",
        format_report_line(report()),
        "START RequestId: 1f2e Version: $LATEST",
        "an application log line",
    ]
    assert count_failures(messages) == FailureCounts(reports=1, timeouts=1, out_of_memory=0)


def test_a_time_out_seen_in_both_the_report_and_the_runtime_line_counts_once() -> None:
    messages = ["Task timed out after 3.00 seconds", format_report_line(report(InvocationStatus.TIMEOUT))]
    assert count_failures(messages).timeouts == 1


def test_no_log_events_are_no_evidence() -> None:
    assert count_failures([]) == FailureCounts()


# ---- the profile's constraints with the alarm's ----------------------------------------------------------------


def test_the_stricter_of_the_profile_and_the_alarm_constraint_holds() -> None:
    profile = {"maxP95DurationMs": 600, "minMemoryHeadroom": 0.1, "maxCostPerInvocation": 1e-5}
    assert merged_constraints(profile, {"maxP95DurationMs": 800.0, "minMemoryHeadroom": 0.2}) == {
        "maxP95DurationMs": 600.0,  # the profile's is lower
        "minMemoryHeadroom": 0.2,  # for headroom, stricter is more
        "maxCostPerInvocation": 1e-5,
    }
    assert merged_constraints({"maxP95DurationMs": 900}, {"maxP95DurationMs": 800.0}) == {"maxP95DurationMs": 800.0}
    assert profile["maxP95DurationMs"] == 600  # the stored profile is left as it was


def test_a_profile_without_constraints_or_with_an_unreadable_one_takes_the_alarms() -> None:
    added = {"maxP95DurationMs": 800.0}
    assert merged_constraints(None, added) == added
    assert merged_constraints("not an object", added) == added
    assert merged_constraints({"maxP95DurationMs": "fast"}, added) == added
    assert merged_constraints({"maxSlowdown": 1.5}, {}) == {"maxSlowdown": 1.5}
