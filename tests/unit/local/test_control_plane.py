"""The emulator's Lambda control-plane quota: a sliding one-second window per quota, account and region, measured
on the emulator's clock, and the rates a benchmark reads from its recording."""

import time

import pytest
from botocore import endpoint
from botocore.retries import bucket

from autotuner.adapters import control_plane_budget
from autotuner_local.control_plane import (
    CONTROL_PLANE,
    ControlPlaneQuota,
    EmulatorClock,
    RateSummary,
    function_named,
    peak_in_window,
)

ACCOUNT, REGION = "123456789012", "us-east-1"


class ManualClock(EmulatorClock):
    """Virtual time that moves only when told to."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__(scale)
        self.virtual = 0.0

    def elapsed(self) -> float:
        return self.virtual


def admitted(quota: ControlPlaneQuota, count: int, operation: str = "ListVersionsByFunction") -> list[bool]:
    return [quota.admit(operation, ACCOUNT, REGION) for _ in range(count)]


def test_the_sixteenth_request_within_a_second_is_throttled_and_takes_no_place_in_the_window() -> None:
    clock = ManualClock()
    quota = ControlPlaneQuota(clock)

    assert admitted(quota, 16) == [True] * 15 + [False]
    clock.virtual = 0.999
    assert admitted(quota, 1) == [False]
    clock.virtual = 1.0  # the first fifteen left the window (t - 1, t]: fifteen more fit, the throttled took none
    assert admitted(quota, 16) == [True] * 15 + [False]
    assert [r.throttled for r in quota.recorded()].count(True) == 3
    assert [r.at for r in quota.recorded()][-1] == 1.0


def test_get_function_has_its_own_quota_and_invocations_none() -> None:
    quota = ControlPlaneQuota(ManualClock())

    assert admitted(quota, 15) == [True] * 15
    assert admitted(quota, 100, "GetFunction") == [True] * 100
    assert admitted(quota, 1, "GetFunction") == [False]
    assert admitted(quota, 500, "Invoke") == [True] * 500
    assert admitted(quota, 1, "UpdateAlias") == [False]
    assert len(quota.recorded()) == 16  # invocations are not recorded, GetFunction apart
    assert len(quota.recorded("GetFunction")) == 101


def test_each_account_and_region_has_its_own_window() -> None:
    quota = ControlPlaneQuota(ManualClock())

    assert admitted(quota, 15) == [True] * 15
    assert quota.admit("UpdateAlias", "210987654321", REGION)
    assert quota.admit("UpdateAlias", ACCOUNT, "eu-west-1")
    assert not quota.admit("UpdateAlias", ACCOUNT, REGION)


def test_the_clock_runs_scale_times_faster_than_real_time() -> None:
    clock = EmulatorClock(scale=1000.0)
    before_virtual, before_epoch = clock.elapsed(), clock.now()
    clock.sleep(20.0)  # 20 ms of real time

    assert clock.elapsed() - before_virtual >= 20.0
    assert clock.now() - before_epoch >= 20.0
    with pytest.raises(ValueError, match="scale must be positive"):
        EmulatorClock(scale=0)


def test_the_products_budget_reads_the_emulators_clock_while_the_quota_is_installed() -> None:
    clock = ManualClock()
    clock.virtual = 1234.5
    outside = control_plane_budget.wall_clock

    with ControlPlaneQuota(clock).installed():
        assert control_plane_budget.wall_clock() == clock.now()
        assert control_plane_budget.pause == clock.sleep
        assert control_plane_budget.late_turns == control_plane_budget.LATE_TURNS, "late calls take a new turn"
    assert control_plane_budget.wall_clock is outside


def test_botocore_retries_wait_on_the_emulators_clock_when_it_runs_faster() -> None:
    clock = ManualClock(scale=50.0)
    clock.virtual = 77.0
    limiter = bucket.TokenBucket(max_rate=2.0, clock=bucket.Clock())  # 2 tokens a second of the clock it reads

    with ControlPlaneQuota(clock).installed():
        assert vars(endpoint)["time"].sleep == clock.sleep  # the retry backoff
        assert bucket.Clock().current_time() == clock.now()
        wait = vars(bucket.TokenBucket)["_sleep_amount"](limiter, 1.0)
        assert wait == pytest.approx(0.5 / 50)  # half a virtual second, in real seconds
    assert vars(endpoint)["time"] is time
    with ControlPlaneQuota(ManualClock()).installed():
        assert vars(endpoint)["time"] is time, "on a clock at real speed botocore is left as it is"


@pytest.mark.parametrize(
    ("path", "function"),
    [
        ("/2015-03-31/functions/orders/versions", "orders"),
        ("/2015-03-31/functions/orders%3Alive/aliases", "orders"),
        (f"/2015-03-31/functions/arn%3Aaws%3Alambda%3A{REGION}%3A{ACCOUNT}%3Afunction%3Aorders%3A3", "orders"),
        (f"/2015-03-31/functions/{ACCOUNT}%3Afunction%3Aorders/configuration", "orders"),
        (f"/2017-03-31/tags/arn%3Aaws%3Alambda%3A{REGION}%3A{ACCOUNT}%3Afunction%3Aorders", "orders"),
        ("/2016-08-19/account-settings", ""),
    ],
)
def test_a_request_is_recorded_with_the_function_its_path_names(path: str, function: str) -> None:
    assert function_named(path) == function


def test_the_peak_counts_the_most_requests_in_any_half_open_second() -> None:
    assert peak_in_window([]) == 0
    assert peak_in_window([0.0, 0.5, 0.99, 1.0, 1.5]) == 3  # (0, 1] holds 0.5, 0.99, 1.0
    assert peak_in_window([0.0, 1.0, 2.0]) == 1


def test_a_summary_counts_throttles_and_rates_over_the_given_duration() -> None:
    clock = ManualClock()
    quota = ControlPlaneQuota(clock)
    admitted(quota, 20)
    clock.virtual = 3.0
    admitted(quota, 4)

    summary = RateSummary.of(quota.recorded(CONTROL_PLANE), duration_s=4.0)

    assert (summary.calls, summary.throttled, summary.mean_per_s) == (24, 5, 6.0)
    assert (summary.peak_per_s, summary.peak_admitted_per_s) == (20, 15)
