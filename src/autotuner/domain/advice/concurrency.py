"""Concurrency advice from the function's traffic (CloudWatch's Invocations and ConcurrentExecutions, the last 14
days) and the INIT the run measured at the chosen size.

Lambda publishes no cold-start metric: cold starts are estimated from ConcurrentExecutions, as the environments
that had to start when concurrency rose above the peak of the previous period (Lambda reclaims idle environments
after minutes). INIT is billed as duration since August 2025. Against that: provisioned concurrency (environments
kept ready at their own GB-second price, the calls they serve at a lower duration price; it pays above a break-even
utilisation), SnapStart where the runtime supports it, or this product's warmer. Reserved concurrency is advised
when the function's peak would take most of the account's pool from the others. Advice only: nothing is changed.
"""

import math
from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.advice.model import MONTH_DAYS, ConcurrencyAdvice, ProvisionedFigures, ReservedFigures
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import MB_PER_GB, Architecture, PriceSheet

DAY_S = 86_400
TRAFFIC_DAYS = 14
TRAFFIC_PERIOD_S = 300
LOW_COLD_START_SHARE = 0.01  # below this, cold starts are left as they are
STARVING_SHARE = 0.5  # a peak above this share of the account's unreserved pool would starve the others
RESERVE_HEADROOM = 1.2  # a reservation above the peak, so that the function itself is not throttled
DEFAULT_ACCOUNT_CONCURRENCY = 1000
WARMER_INTERVAL_S = 300  # the stack's WarmerSchedule default: rate(5 minutes)
WARM_PING_BILLED_MS = 1
# Runtimes SnapStart supports (Lambda's SnapStart documentation): Java 11 and later, Python 3.12 and later, .NET 8.
SNAP_START_RUNTIMES = ("java11", "java17", "java21", "python3.12", "python3.13", "dotnet8")


class Traffic(CamelModel):
    """A function's calls over a window, as CloudWatch counted them."""

    days: int = Field(gt=0)
    invocations: int = Field(ge=0)
    peak_concurrency: float = Field(ge=0)
    cold_starts: int = Field(ge=0, description="estimated (see the module)")
    source: str = "CloudWatch AWS/Lambda Invocations and ConcurrentExecutions"

    @property
    def cold_start_share(self) -> float:
        return min(1.0, self.cold_starts / self.invocations) if self.invocations else 0.0

    def per_month(self, count: float) -> float:
        return count * MONTH_DAYS / self.days


class AccountConcurrency(CamelModel):
    """The account's concurrency in the function's region (GetAccountSettings)."""

    limit: int = Field(gt=0)
    unreserved: int | None = None
    source: str = "GetAccountSettings"

    @classmethod
    def default(cls, why: str) -> "AccountConcurrency":
        return cls(limit=DEFAULT_ACCOUNT_CONCURRENCY, source=f"Lambda's default of 1,000 ({why})")


def traffic_from_series(
    invocations: Sequence[tuple[float, float]],
    concurrency: Sequence[tuple[float, float]],
    *,
    days: int = TRAFFIC_DAYS,
    period_s: int = TRAFFIC_PERIOD_S,
) -> Traffic:
    """Traffic from the metrics' datapoints (epoch seconds, value): the Sum of Invocations and the Maximum of
    ConcurrentExecutions per period. A period with no datapoint had no call; environments that started in a period
    are the rise of its peak over the previous period's (0 after an idle one)."""
    peaks = {round(t / period_s): v for t, v in concurrency}
    started = 0.0
    for slot in sorted(peaks):
        started += max(0.0, peaks[slot] - peaks.get(slot - 1, 0.0))
    total = round(sum(v for _, v in invocations))
    return Traffic(
        days=days,
        invocations=total,
        peak_concurrency=max(peaks.values(), default=0.0),
        cold_starts=min(total, math.ceil(started)),
    )


def snap_start_supported(runtime: str | None, package_type: str) -> bool:
    return package_type == "Zip" and runtime in SNAP_START_RUNTIMES


def concurrency_advice(
    traffic: Traffic | None,
    *,
    memory_mb: int,
    duration_ms: float,
    init_ms: float | None,
    prices: PriceSheet,
    architecture: Architecture,
    runtime: str | None = None,
    package_type: str = "Zip",
    account: AccountConcurrency | None = None,
    reserved: int | None = None,
) -> ConcurrencyAdvice | None:
    """What to do about cold starts and concurrency at the chosen size (``duration_ms``: its mean call); None
    without traffic to read (a function CloudWatch has no Invocations of)."""
    if traffic is None or traffic.invocations == 0:
        return None
    gb = memory_mb / MB_PER_GB
    price = prices.gb_second(architecture)
    window_s = traffic.days * DAY_S
    average = traffic.invocations * duration_ms / 1000 / window_s
    cold_month = traffic.per_month(traffic.cold_starts)
    init_month = cold_month * (init_ms or 0) / 1000 * gb * price if init_ms is not None else None
    snap = snap_start_supported(runtime, package_type)
    warmer = _warmer_month(math.ceil(traffic.peak_concurrency) or 1, gb, price, prices.request)
    provisioned = _provisioned(
        traffic, average=average, gb=gb, duration_ms=duration_ms, init_month=init_month, prices=prices,
        architecture=architecture,
    )  # fmt: skip
    share = traffic.cold_start_share
    figures = (
        f"over {traffic.days} days {traffic.invocations:,} calls, at most {traffic.peak_concurrency:g} at once "
        f"(average {average:.2f}); about {traffic.cold_starts:,} cold starts ({share:.1%} of calls, estimated from "
        f"ConcurrentExecutions)"
    )
    init_text = _init_text(init_ms, init_month)
    setting, change, why, monthly, basis = _choose(
        share, init_month=init_month, provisioned=provisioned, snap=snap, warmer=warmer, traffic=traffic
    )
    advice = ConcurrencyAdvice(
        setting=setting,
        change=change,
        why=f"{figures}; {init_text}. {why}",
        monthly_usd=monthly,
        monthly_basis=basis,
        days=traffic.days,
        invocations=traffic.invocations,
        peak_concurrency=traffic.peak_concurrency,
        average_concurrency=average,
        cold_starts=traffic.cold_starts,
        cold_start_share=share,
        init_ms=init_ms,
        init_usd_per_month=init_month,
        provisioned=provisioned,
        snap_start_supported=snap,
        warmer_usd_per_month=warmer,
    )
    return _with_reserved(advice, account or AccountConcurrency.default("not read"), reserved)


def _init_text(init_ms: float | None, init_month: float | None) -> str:
    if init_ms is None or init_month is None:
        return "the run measured no cold start at this size, so INIT is not priced"
    return (
        f"INIT took {init_ms:,.0f} ms in the run, {usd(init_month)} a month at that many cold starts (billed since "
        "August 2025)"
    )


def _choose(
    share: float,
    *,
    init_month: float | None,
    provisioned: ProvisionedFigures | None,
    snap: bool,
    warmer: float,
    traffic: Traffic,
) -> tuple[str, bool, str, float | None, str]:
    """(setting, change, why, monthly saving, its basis)."""
    if share < LOW_COLD_START_SHARE:
        basis = f"INIT costs {usd(init_month)} a month" if init_month is not None else "INIT was not measured"
        why = f"Cold starts are under {LOW_COLD_START_SHARE:.0%} of calls: nothing to do."
        return "keep on-demand concurrency", False, why, 0.0, basis
    if provisioned is not None and provisioned.usd_per_month < provisioned.on_demand_usd_per_month:
        saving = provisioned.on_demand_usd_per_month - provisioned.usd_per_month
        return (
            f"ProvisionedConcurrentExecutions: {provisioned.environments} (on an alias)",
            True,
            f"Provisioned concurrency of {provisioned.environments} is used {provisioned.utilisation:.0%} of the time, "
            f"above its break-even of {provisioned.break_even_utilisation:.0%}: {usd(provisioned.usd_per_month)} a "
            f"month against {usd(provisioned.on_demand_usd_per_month)} on demand, and no cold start up to that "
            "concurrency.",
            saving,
            "provisioned concurrency's price against the same calls on demand, INIT included",
        )
    pc_text = _provisioned_text(provisioned)
    if snap:
        return (
            "SnapStart: ApplyOn PublishedVersions",
            True,
            f"{pc_text} The runtime supports SnapStart: a version restores a snapshot instead of running INIT (its "
            "restore duration is billed; measure it by tuning a SnapStart version).",
            init_month,
            "the INIT it avoids, an upper bound: restore duration (and caching, for Python and .NET) is billed",
        )
    environments = math.ceil(traffic.peak_concurrency) or 1
    warm_saving = init_month - warmer if init_month is not None else None
    return (
        f"tag autotuner:warm={environments} (this stack's warmer)",
        True,
        f"{pc_text} This stack's warmer (WarmerEnabled) keeps {environments} environment"
        f"{'s' if environments > 1 else ''} warm with a ping every {WARMER_INTERVAL_S // 60} minutes for "
        f"{usd(warmer)} a month.",
        warm_saving,
        "the INIT it avoids less the warm pings (calls above the warmed concurrency still start cold)",
    )


def _provisioned_text(provisioned: ProvisionedFigures | None) -> str:
    if provisioned is None:
        return "Provisioned concurrency is not priced for this region."
    return (
        f"Provisioned concurrency of {provisioned.environments} would cost {usd(provisioned.usd_per_month)} a month "
        f"against {usd(provisioned.on_demand_usd_per_month)} on demand: it pays above "
        f"{provisioned.break_even_utilisation:.0%} utilisation, and would be used {provisioned.utilisation:.0%}."
    )


def _provisioned(
    traffic: Traffic,
    *,
    average: float,
    gb: float,
    duration_ms: float,
    init_month: float | None,
    prices: PriceSheet,
    architecture: Architecture,
) -> ProvisionedFigures | None:
    """Environments for the peak, kept ready all month, serving every call, against on demand."""
    rates = prices.provisioned
    if rates is None:
        return None
    environments = max(1, math.ceil(traffic.peak_concurrency))
    month_s = MONTH_DAYS * DAY_S
    calls_gb_s = traffic.per_month(traffic.invocations) * duration_ms / 1000 * gb
    kept = environments * gb * month_s * rates.gb_second(architecture)
    served = calls_gb_s * rates.duration_gb_second(architecture)
    on_demand = calls_gb_s * prices.gb_second(architecture) + (init_month or 0.0)
    spread = prices.gb_second(architecture) - rates.duration_gb_second(architecture)
    return ProvisionedFigures(
        environments=environments,
        usd_per_month=kept + served,
        on_demand_usd_per_month=on_demand,
        utilisation=average / environments,
        break_even_utilisation=rates.gb_second(architecture) / spread if spread > 0 else math.inf,
    )


def _warmer_month(environments: int, gb: float, price: float, request: float) -> float:
    pings = environments * MONTH_DAYS * DAY_S / WARMER_INTERVAL_S
    return pings * (request + WARM_PING_BILLED_MS / 1000 * gb * price)


def _with_reserved(advice: ConcurrencyAdvice, account: AccountConcurrency, reserved: int | None) -> ConcurrencyAdvice:
    pool = account.unreserved if account.unreserved is not None else account.limit
    figures = ReservedFigures(
        account_limit=account.limit,
        account_limit_source=account.source,
        unreserved=account.unreserved,
        reserved=reserved,
        peak=advice.peak_concurrency,
    )
    update: dict[str, object] = {"reserved": figures}
    if reserved is None and advice.peak_concurrency > STARVING_SHARE * pool:
        cap = math.ceil(advice.peak_concurrency * RESERVE_HEADROOM)
        update |= {
            "setting": f"{advice.setting}; ReservedConcurrentExecutions: {cap}",
            "change": True,
            "why": f"{advice.why} Its peak of {advice.peak_concurrency:g} took more than {STARVING_SHARE:.0%} of the "
            f"account's {pool:,} unreserved concurrency ({account.source}): reserving {cap} caps it there and leaves "
            "the rest to the other functions.",
        }
    elif reserved is not None and advice.peak_concurrency >= reserved:
        update |= {
            "why": f"{advice.why} Its peak of {advice.peak_concurrency:g} reached its reserved concurrency of "
            f"{reserved}: calls above it were throttled."
        }
    return advice.model_copy(update=update)
