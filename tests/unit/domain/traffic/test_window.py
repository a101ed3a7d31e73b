"""One candidate's window: the guard that routes it back, the end of the window, and the pace of its checks."""

import math

import pytest

from autotuner.domain.automation.canary import VersionFigures
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.measuring.lambda_logs import InvocationStatus
from autotuner.domain.traffic.window import (
    MIN_WAIT_S,
    Tally,
    TrafficWindow,
    WindowEnd,
    binomial_tail,
    judge,
    significant,
    wait_seconds,
)
from tests.unit.domain.traffic.calls import call

STARTED_S = 1_772_000_000.0
OPTIONS = TrafficOptions()  # 100 calls, a tolerance of 1%


def window(candidate: Tally, *, checks: int = 3) -> TrafficWindow:
    return TrafficWindow(
        number=2, memory_mb=512, version="9", current_version="7", started_epoch_s=STARTED_S,
        read_until_epoch_s=STARTED_S + 600, checks=checks, candidate=candidate,
    )  # fmt: skip


def verdict(
    candidate: Tally,
    reference: Tally,
    *,
    alarms: list[str] | None = None,
    candidate_metrics: VersionFigures | None = None,
    current_metrics: VersionFigures | None = None,
    now_s: float = STARTED_S + 600,
    deadline_s: float = STARTED_S + 86_400,
) -> tuple[WindowEnd | None, str]:
    return judge(
        window(candidate), alarms=alarms or [], candidate_metrics=candidate_metrics or VersionFigures(version="9"),
        current_metrics=current_metrics or VersionFigures(version="7"), reference=reference, options=OPTIONS,
        now_s=now_s, deadline_s=deadline_s,
    )  # fmt: skip


def exact_tail(count: int, trials: int, rate: float) -> float:
    return sum(math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k) for k in range(count, trials + 1))


def test_a_tally_counts_each_ending() -> None:
    reports = [
        call(512, 10.0),
        call(512, 10.0, status=InvocationStatus.ERROR),
        call(512, 3000.0, status=InvocationStatus.TIMEOUT),
        call(512, 20.0, status=InvocationStatus.OUT_OF_MEMORY),
        call(512, 20.0, status=InvocationStatus.ERROR),
    ]
    tally = Tally().add(reports)
    assert tally == Tally(calls=5, errors=2, timeouts=1, out_of_memory=1)
    assert tally.plus(Tally(calls=10, errors=1)) == Tally(calls=15, errors=3, timeouts=1, out_of_memory=1)


@pytest.mark.parametrize(
    ("count", "trials", "rate", "expected"),
    [
        (1, 10, 0.1, 1 - 0.9**10),
        (3, 10, 0.5, 968 / 1024),
        (10, 10, 0.5, 1 / 1024),
        (6, 100, 0.015, exact_tail(6, 100, 0.015)),
        (40, 1_000, 0.02, exact_tail(40, 1_000, 0.02)),
    ],
)
def test_binomial_tail_matches_known_values(count: int, trials: int, rate: float, expected: float) -> None:
    assert binomial_tail(count, trials, rate) == pytest.approx(expected, rel=1e-6)


def test_binomial_tail_at_its_edges() -> None:
    assert binomial_tail(0, 10, 0.3) == 1.0  # nothing to exceed
    assert binomial_tail(1, 10, 0.0) == 0.0  # a failure where none ever happens
    assert binomial_tail(10, 10, 1.0) == 1.0
    assert binomial_tail(11, 10, 0.5) == 0.0  # more than there were calls


def test_significance_is_below_one_percent() -> None:
    assert binomial_tail(5, 100, 0.015) > 0.01
    assert not significant(5, 100, 0.015)
    assert binomial_tail(6, 100, 0.015) < 0.01
    assert significant(6, 100, 0.015)


def test_an_alarm_rolls_the_candidate_back_at_once() -> None:
    end, why = verdict(Tally(calls=100), Tally(calls=2_000), alarms=["payments-5xx", "payments-p99"])
    assert end is WindowEnd.ROLLED_BACK
    assert why == "alarm payments-5xx, payments-p99 in ALARM while 512 MB (version 9) took its share of the traffic"


def test_errors_significantly_above_the_current_rate_and_its_tolerance_roll_back_with_the_figures() -> None:
    # The current version fails 0.5% of its calls; with the 1% tolerance, 6 errors in 100 is beyond chance.
    end, why = verdict(Tally(calls=100, errors=6), Tally(calls=2_000, errors=10))
    assert end is WindowEnd.ROLLED_BACK
    assert why == (
        "512 MB (version 9): 6 of its 100 calls raised an error (6.0%), against 0.50% of the current version's and a "
        "tolerance of 1.0%"
    )


def test_errors_chance_explains_do_not_roll_back() -> None:
    end, _ = verdict(Tally(calls=100, errors=5), Tally(calls=2_000, errors=10))
    assert end is WindowEnd.MEASURED


def test_a_time_out_the_current_version_never_has_rolls_back_without_tolerance() -> None:
    end, why = verdict(Tally(calls=40, timeouts=1), Tally(calls=2_000))
    assert end is WindowEnd.ROLLED_BACK
    assert why == "512 MB (version 9): 1 of its 40 calls timed out (2.5%), against 0.00% of the current version's"


def test_running_out_of_memory_rolls_back_first() -> None:
    end, why = verdict(Tally(calls=40, out_of_memory=3, timeouts=3), Tally(calls=2_000))
    assert end is WindowEnd.ROLLED_BACK
    assert "3 of its 40 calls ran out of memory (7.5%)" in why


def test_time_outs_as_common_as_the_current_version_s_do_not_roll_back() -> None:
    end, _ = verdict(Tally(calls=100, timeouts=2), Tally(calls=1_000, timeouts=20))
    assert end is WindowEnd.MEASURED


def test_errors_cloudwatch_counts_beyond_the_report_lines_count() -> None:
    metrics = VersionFigures(version="9", invocations=100, errors=8)
    end, why = verdict(Tally(calls=100), Tally(calls=2_000), candidate_metrics=metrics)
    assert end is WindowEnd.ROLLED_BACK
    assert "8 of its 100 calls raised an error" in why


def test_throttles_significantly_above_the_current_version_s_roll_back() -> None:
    metrics = VersionFigures(version="9", invocations=60, throttles=10)
    end, why = verdict(Tally(calls=60), Tally(calls=2_000), candidate_metrics=metrics)
    assert end is WindowEnd.ROLLED_BACK
    assert why == "512 MB (version 9): 10 of its 70 requests were throttled, against 0.00% of the current version's"


def test_enough_calls_end_the_window_measured() -> None:
    assert verdict(Tally(calls=100, errors=1), Tally(calls=2_000, errors=10)) == (
        WindowEnd.MEASURED,
        "512 MB (version 9) served 100 production calls",
    )


def test_the_deadline_ends_the_window_out_of_time_with_what_it_has() -> None:
    end, why = verdict(Tally(calls=37), Tally(calls=800), now_s=STARTED_S + 5_000, deadline_s=STARTED_S + 5_000)
    assert end is WindowEnd.OUT_OF_TIME
    assert why == "the run reached its traffic.maxHours with 37 of the 100 calls 512 MB (version 9) needed"


def test_a_window_short_of_its_calls_goes_on() -> None:
    assert verdict(Tally(calls=40), Tally(calls=800)) == (None, "check 3: 40 of 100 calls, no sign of harm")


def test_harm_is_judged_before_the_window_counts_as_measured() -> None:
    end, _ = verdict(Tally(calls=100, timeouts=1), Tally(calls=2_000), alarms=[])
    assert end is WindowEnd.ROLLED_BACK


def test_before_any_candidate_call_the_checks_follow_the_alias_s_pace() -> None:
    # 3,600 calls an hour at 5% are 0.05 a second: 100 calls in 2,000 s, past checkEverySeconds.
    assert wait_seconds(window(Tally()), OPTIONS, 3_600.0, STARTED_S) == 60
    # 360,000 calls an hour at 5% are 5 a second: 100 calls in 20 s, checked after 22.
    assert wait_seconds(window(Tally()), OPTIONS, 360_000.0, STARTED_S) == 22


def test_once_the_candidate_has_calls_its_own_pace_plans_the_check() -> None:
    # 40 calls in 20 s: the other 60 come in 30 s, checked after 33.
    assert wait_seconds(window(Tally(calls=40)), OPTIONS, 3_600.0, STARTED_S + 20) == 33


def test_the_checks_are_never_closer_than_ten_seconds() -> None:
    assert wait_seconds(window(Tally(calls=99)), OPTIONS, 3_600.0, STARTED_S + 99) == MIN_WAIT_S
    assert wait_seconds(window(Tally(calls=150)), OPTIONS, 3_600.0, STARTED_S + 99) == MIN_WAIT_S


def test_an_alias_without_calls_is_checked_every_check_every_seconds() -> None:
    slow = TrafficOptions(check_every_seconds=300)
    assert wait_seconds(window(Tally()), slow, 0.0, STARTED_S) == 300
