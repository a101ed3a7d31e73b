import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.costs.pricing import (
    REGIONAL_PRICES,
    Architecture,
    PriceSheet,
    billable_duration_ms,
    invocation_cost,
    per_million,
    prices_for_region,
    report_cost,
    step_functions_cost,
)
from autotuner.domain.costs.run_cost import lambdas_in_run, transitions
from autotuner.domain.errors import UnknownRegionError
from autotuner.domain.measuring.lambda_logs import parse_log_tail
from tests.conftest import fixture_text

US_EAST_1 = prices_for_region("us-east-1")


def test_one_gigabyte_for_100_ms_on_x86_in_us_east_1() -> None:
    cost = invocation_cost(1024, 100, US_EAST_1, Architecture.X86_64)
    assert cost == pytest.approx(0.0000016667 + 0.0000002, rel=1e-4)


def test_arm64_is_priced_at_its_own_rate() -> None:
    duration = invocation_cost(1024, 1000, US_EAST_1, Architecture.ARM64) - US_EAST_1.request
    assert duration == pytest.approx(0.0000133334)


def test_request_charge_is_regional() -> None:
    assert prices_for_region("eu-south-1").request == pytest.approx(0.23 / 1_000_000)
    assert US_EAST_1.request == pytest.approx(0.20 / 1_000_000)
    assert prices_for_region("eu-south-1").x86_64_gb_second == pytest.approx(0.0000195172)


def test_per_million() -> None:
    assert per_million(invocation_cost(128, 1, US_EAST_1, Architecture.X86_64)) == pytest.approx(
        0.20 + 0.125 * 0.001 * 0.0000166667 * 1e6
    )


def test_unknown_region_is_a_clear_error_unless_prices_are_given() -> None:
    with pytest.raises(UnknownRegionError, match=r"'xx-mars-1'.*pass them in the input's 'prices' field"):
        prices_for_region("xx-mars-1")
    explicit = PriceSheet(
        x86_64_gb_second=0.00002,
        arm64_gb_second=0.000016,
        request=0.0000003,
        ephemeral_storage_gb_second=0,
        step_functions_transition=0.00003,
    )
    assert prices_for_region("xx-mars-1", explicit) is explicit


def test_ephemeral_storage_above_512_mb_is_charged() -> None:
    free = invocation_cost(1024, 1000, US_EAST_1, Architecture.X86_64, ephemeral_storage_mb=512)
    paid = invocation_cost(1024, 1000, US_EAST_1, Architecture.X86_64, ephemeral_storage_mb=1536)
    assert paid - free == pytest.approx(1.0 * 1.0 * 0.0000000309)


def test_init_is_billed_once_whether_or_not_billed_duration_already_holds_it() -> None:
    current = parse_log_tail(fixture_text("reports/text-cold.log"))  # Billed Duration 185 includes INIT
    legacy = parse_log_tail(fixture_text("reports/text-cold-before-init-billing.log"))  # 4 ms, INIT apart
    assert billable_duration_ms(current) == 185
    assert billable_duration_ms(legacy) == 4 + 181
    assert billable_duration_ms(legacy, init_billed=False) == 4


def test_snapstart_restore_is_billed() -> None:
    report = parse_log_tail(fixture_text("reports/text-snapstart.log"))
    assert billable_duration_ms(report) == 53 + 185
    assert report_cost(report, US_EAST_1, Architecture.X86_64) == pytest.approx(0.5 * 0.238 * 0.0000166667 + 0.0000002)


def test_step_functions_transitions() -> None:
    assert step_functions_cost(1000, US_EAST_1) == pytest.approx(0.025)
    assert step_functions_cost(1000, prices_for_region("sa-east-1")) == pytest.approx(0.0375)


def test_every_listed_region_prices_arm_below_x86() -> None:
    for region, sheet in REGIONAL_PRICES.items():
        assert sheet.arm64_gb_second < sheet.x86_64_gb_second, region


memory = st.integers(128, 10_240)
billed = st.integers(0, 900_000)
architectures = st.sampled_from(list(Architecture))


@given(memory, billed, st.integers(1, 1000), architectures)
def test_cost_grows_with_billed_duration(memory_mb: int, billed_ms: int, extra: int, arch: Architecture) -> None:
    assert invocation_cost(memory_mb, billed_ms + extra, US_EAST_1, arch) > invocation_cost(
        memory_mb, billed_ms, US_EAST_1, arch
    )


@given(memory, st.integers(1, 900_000), st.integers(1, 1000), architectures)
def test_cost_grows_with_memory(memory_mb: int, billed_ms: int, extra: int, arch: Architecture) -> None:
    assert invocation_cost(memory_mb + extra, billed_ms, US_EAST_1, arch) > invocation_cost(
        memory_mb, billed_ms, US_EAST_1, arch
    )


@given(memory, billed)
def test_arm64_never_costs_more(memory_mb: int, billed_ms: int) -> None:
    assert invocation_cost(memory_mb, billed_ms, US_EAST_1, Architecture.ARM64) <= invocation_cost(
        memory_mb, billed_ms, US_EAST_1, Architecture.X86_64
    )


def test_transitions_count_the_states_a_run_enters() -> None:
    # Receive, Plan, MeasuredBy, Prepare, Measure (the Map), one MeasureBatches, Analyze, MoreRounds, Cleanup, Notify
    assert transitions(rounds=1, tasks=1, applied=False, single_task_rounds=0) == 10
    # a round of one task measures it in MeasureOneTask, with no Map around it: a state fewer
    assert transitions(rounds=1, tasks=1, applied=False, single_task_rounds=1) == 9
    # the five every run enters, five rounds of four and a task each, then Apply and CanaryStarted
    assert transitions(rounds=5, tasks=5, applied=True, single_task_rounds=0) == 5 + 5 * (4 + 1) + 2
    assert transitions(rounds=5, tasks=5, applied=True, single_task_rounds=5) == 5 + 5 * 4 + 2
    # a round of three tasks: the Map and a MeasureBatches each
    three, one = (transitions(rounds=1, tasks=n, applied=False, single_task_rounds=int(n == 1)) for n in (3, 1))
    assert three - one == 3
    # each canary check: WaitForCanary, CheckCanary, CanaryDecided
    assert transitions(rounds=1, tasks=1, applied=True, canary_checks=3, single_task_rounds=1) == 9 + 2 + 3 * 3
    # a traffic run: a RouteCandidate per candidate, and WaitForTraffic, CheckTraffic, TrafficDecided per check
    traffic = transitions(rounds=0, tasks=0, applied=False, candidates=3, traffic_checks=10, single_task_rounds=0)
    assert traffic == 5 + 3 + 3 * 10
    # rounds that only add calls to sizes already prepared go from MoreRounds straight to measuring
    every = transitions(5, 5, applied=False, single_task_rounds=5)
    assert transitions(rounds=5, tasks=5, applied=False, single_task_rounds=5, prepares=2) == every - 3


def test_the_tuners_lambdas_are_counted_per_step_a_run_enters() -> None:
    # Plan; Prepare, one Measure task and Analyze; Cleanup and Notify
    assert lambdas_in_run(rounds=1, tasks=1, applied=False) == 1 + 3 + 2
    # five rounds of a task each, then Apply and two canary checks
    assert lambdas_in_run(rounds=5, tasks=5, applied=True, canary_checks=2) == 1 + 5 * 3 + 2 + 1 + 2
    # three of them without a Prepare
    assert lambdas_in_run(rounds=5, tasks=5, applied=True, canary_checks=2, prepares=2) == 1 + 5 * 3 - 3 + 2 + 1 + 2


def test_provisioned_concurrency_is_priced_where_the_on_demand_prices_are_us_east_1s() -> None:
    provisioned = US_EAST_1.provisioned
    assert provisioned is not None
    assert provisioned.gb_second(Architecture.X86_64) == pytest.approx(0.0000041667)
    assert provisioned.duration_gb_second(Architecture.X86_64) == pytest.approx(0.0000097222)
    assert provisioned.gb_second(Architecture.ARM64) == pytest.approx(0.0000041667 * 0.8, rel=1e-4)
    assert provisioned.duration_gb_second(Architecture.ARM64) == pytest.approx(0.0000097222 * 0.8, rel=1e-4)
    assert prices_for_region("eu-west-1").provisioned == provisioned
    assert prices_for_region("eu-south-1").provisioned is None, "its prices are not known: the advice says so"
