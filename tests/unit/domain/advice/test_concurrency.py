"""Concurrency advice: cold starts from ConcurrentExecutions, INIT priced, provisioned concurrency against on
demand, SnapStart or the warmer, and a reservation when the peak would starve the other functions."""

import pytest

from autotuner.domain.advice.concurrency import (
    DAY_S,
    AccountConcurrency,
    Traffic,
    concurrency_advice,
    snap_start_supported,
    traffic_from_series,
)
from autotuner.domain.advice.model import MONTH_DAYS, ConcurrencyAdvice
from autotuner.domain.costs.pricing import Architecture, prices_for_region
from tests.unit.domain.advice.measured import PRICES

PERIOD = 300


def test_cold_starts_are_the_rises_of_concurrency_and_every_start_after_an_idle_period() -> None:
    slots = [0, 1, 2, 3, 10, 11]  # an idle gap between 3 and 10
    concurrency = [(s * PERIOD, c) for s, c in zip(slots, [1, 3, 2, 2, 1, 1], strict=True)]
    invocations = [(s * PERIOD, 10.0) for s in slots]
    traffic = traffic_from_series(invocations, concurrency, days=14, period_s=PERIOD)
    assert traffic.cold_starts == 1 + 2 + 1, "1 at first, 2 more when it rose to 3, 1 after the idle gap"
    assert (traffic.invocations, traffic.peak_concurrency) == (60, 3)
    assert traffic.cold_start_share == pytest.approx(4 / 60)


def test_cold_starts_never_exceed_the_calls() -> None:
    traffic = traffic_from_series([(0.0, 2.0)], [(0.0, 5.0)], days=1, period_s=PERIOD)
    assert traffic.cold_starts == 2


def advise(traffic: Traffic | None, *, runtime: str | None = "nodejs22.x", **options: object) -> ConcurrencyAdvice:
    advice = concurrency_advice(
        traffic,
        memory_mb=1024,
        duration_ms=1000.0,
        init_ms=800.0,
        prices=options.pop("prices", PRICES),  # type: ignore[arg-type]
        architecture=Architecture.X86_64,
        runtime=runtime,
        **options,  # type: ignore[arg-type]
    )
    assert advice is not None
    return advice


SPARSE = Traffic(days=14, invocations=1400, peak_concurrency=1, cold_starts=1400)  # a call every 15 minutes


def test_a_function_that_always_starts_cold_is_advised_the_warmer_with_a_monthly_figure() -> None:
    advice = advise(SPARSE)
    month = 1400 * MONTH_DAYS / 14
    init_month = month * 0.8 * 1 * PRICES.x86_64_gb_second
    assert advice.cold_start_share == 1.0
    assert advice.init_usd_per_month == pytest.approx(init_month)
    assert advice.setting == "tag autotuner:warm=1 (this stack's warmer)"
    assert advice.change
    assert advice.warmer_usd_per_month is not None
    assert advice.monthly_usd == pytest.approx(init_month - advice.warmer_usd_per_month)
    assert "about 1,400 cold starts (100.0% of calls" in advice.why
    assert "INIT took 800 ms in the run" in advice.why
    assert advice.provisioned is not None
    assert advice.provisioned.utilisation < advice.provisioned.break_even_utilisation


def test_a_runtime_snapstart_supports_is_advised_snapstart() -> None:
    advice = advise(SPARSE, runtime="python3.13")
    assert advice.setting == "SnapStart: ApplyOn PublishedVersions"
    assert advice.snap_start_supported
    assert advice.monthly_usd == advice.init_usd_per_month
    assert "an upper bound" in advice.monthly_basis
    assert not snap_start_supported("python3.13", "Image"), "SnapStart serves zip packages only"


def test_provisioned_concurrency_is_advised_above_its_break_even_utilisation() -> None:
    busy = Traffic(days=14, invocations=2_177_280, peak_concurrency=2, cold_starts=50_000)  # 1.8 calls in flight
    advice = advise(busy)
    assert advice.average_concurrency == pytest.approx(1.8)
    provisioned = advice.provisioned
    assert provisioned is not None
    assert provisioned.break_even_utilisation == pytest.approx(0.0000041667 / (0.0000166667 - 0.0000097222))
    assert provisioned.utilisation == pytest.approx(0.9)
    kept = 2 * 1 * MONTH_DAYS * DAY_S * 0.0000041667
    served = 2_177_280 * MONTH_DAYS / 14 * 1.0 * 0.0000097222
    assert provisioned.usd_per_month == pytest.approx(kept + served)
    assert advice.setting == "ProvisionedConcurrentExecutions: 2 (on an alias)"
    assert advice.monthly_usd == pytest.approx(provisioned.on_demand_usd_per_month - provisioned.usd_per_month)
    assert advice.monthly_usd is not None
    assert advice.monthly_usd > 0


def test_rare_cold_starts_are_left_alone() -> None:
    advice = advise(Traffic(days=14, invocations=100_000, peak_concurrency=3, cold_starts=50))
    assert (advice.change, advice.setting, advice.monthly_usd) == (False, "keep on-demand concurrency", 0.0)


def test_a_peak_that_takes_most_of_the_accounts_pool_is_advised_a_reservation() -> None:
    greedy = Traffic(days=14, invocations=10_000_000, peak_concurrency=600, cold_starts=60)
    advice = advise(greedy, account=AccountConcurrency(limit=1000, unreserved=1000))
    assert advice.setting.endswith("; ReservedConcurrentExecutions: 720")
    assert "took more than 50% of the account's 1,000 unreserved concurrency (GetAccountSettings)" in advice.why
    assert advice.reserved is not None
    assert advice.reserved.account_limit == 1000


def test_without_the_accounts_settings_the_default_is_assumed_and_said() -> None:
    greedy = Traffic(days=14, invocations=10_000_000, peak_concurrency=600, cold_starts=60)
    advice = advise(greedy, account=AccountConcurrency.default("GetAccountSettings is not implemented here"))
    assert advice.reserved is not None
    assert advice.reserved.account_limit_source == (
        "Lambda's default of 1,000 (GetAccountSettings is not implemented here)"
    )


def test_a_peak_at_its_reservation_says_calls_were_throttled() -> None:
    advice = advise(Traffic(days=14, invocations=1_000_000, peak_concurrency=10, cold_starts=5), reserved=10)
    assert "reached its reserved concurrency of 10: calls above it were throttled" in advice.why


def test_a_region_without_provisioned_prices_says_so() -> None:
    advice = advise(SPARSE, prices=prices_for_region("eu-south-1"))
    assert advice.provisioned is None
    assert "Provisioned concurrency is not priced for this region." in advice.why


def test_no_traffic_no_advice() -> None:
    assert (
        concurrency_advice(
            None, memory_mb=1024, duration_ms=10, init_ms=None, prices=PRICES, architecture=Architecture.ARM64
        )
        is None
    )
