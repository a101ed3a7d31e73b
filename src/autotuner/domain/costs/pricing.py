"""The Lambda price model as data: duration by region and architecture, requests, ephemeral storage, INIT and
SnapStart restore billing, provisioned concurrency, and the Step Functions transitions a tuning run itself costs.

Sources: aws.amazon.com/lambda/pricing and aws.amazon.com/step-functions/pricing (first volume tier). Regions not
listed here raise ``UnknownRegionError``; pass a ``PriceSheet`` explicitly to price them (or a discounted tier).
"""

import math
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from autotuner.domain.errors import UnknownRegionError
from autotuner.domain.measuring.lambda_logs import InvocationReport

MB_PER_GB = 1024
FREE_EPHEMERAL_STORAGE_MB = 512
INVOCATIONS_PER_MILLION = 1_000_000


class Architecture(StrEnum):
    X86_64 = "x86_64"
    ARM64 = "arm64"


class ProvisionedPrices(BaseModel):
    """Provisioned concurrency, per GB-second: each environment kept ready, and the duration of the calls it serves
    (which replaces the on-demand duration price for them)."""

    model_config = ConfigDict(frozen=True)

    x86_64_gb_second: float = Field(gt=0)
    arm64_gb_second: float = Field(gt=0)
    x86_64_duration_gb_second: float = Field(gt=0)
    arm64_duration_gb_second: float = Field(gt=0)

    def gb_second(self, architecture: Architecture) -> float:
        return self.arm64_gb_second if architecture is Architecture.ARM64 else self.x86_64_gb_second

    def duration_gb_second(self, architecture: Architecture) -> float:
        if architecture is Architecture.ARM64:
            return self.arm64_duration_gb_second
        return self.x86_64_duration_gb_second


class PriceSheet(BaseModel):
    """USD prices for one region."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    x86_64_gb_second: float = Field(gt=0)
    arm64_gb_second: float = Field(gt=0)
    request: float = Field(ge=0, description="per request")
    ephemeral_storage_gb_second: float = Field(ge=0, description="per GB-second above the free 512 MB")
    step_functions_transition: float = Field(ge=0, description="standard workflow, per state transition")
    provisioned: ProvisionedPrices | None = Field(
        default=None, description="provisioned concurrency; None where its prices are not known (advice says so)"
    )

    def gb_second(self, architecture: Architecture) -> float:
        return self.arm64_gb_second if architecture is Architecture.ARM64 else self.x86_64_gb_second


_X86, _ARM, _REQUESTS, _TRANSITIONS = 0.0000166667, 0.0000133334, 0.20, 0.025
# us-east-1's provisioned concurrency (aws.amazon.com/lambda/pricing): kept ready, and the duration it serves, per
# GB-second, x86_64 and arm64 (20% less, as for on-demand duration). Given to the regions whose on-demand prices are
# us-east-1's; the others need explicit prices for the advice to price it.
US_EAST_1_PROVISIONED = ProvisionedPrices(
    x86_64_gb_second=0.0000041667,
    arm64_gb_second=0.0000033334,
    x86_64_duration_gb_second=0.0000097222,
    arm64_duration_gb_second=0.0000077778,
)


def _sheet(x86: float, arm: float, request_per_million: float, transitions_per_thousand: float) -> PriceSheet:
    return PriceSheet(
        x86_64_gb_second=x86,
        arm64_gb_second=arm,
        request=request_per_million / INVOCATIONS_PER_MILLION,
        ephemeral_storage_gb_second=0.0000000309,
        step_functions_transition=transitions_per_thousand / 1000,
        provisioned=US_EAST_1_PROVISIONED if (x86, arm, request_per_million) == (_X86, _ARM, _REQUESTS) else None,
    )


# One row per region: Lambda x86 and arm64 per GB-second, requests and Step Functions transitions (USD per
# million and per thousand). A region is listed only with all four prices sourced; others need explicit prices.
_REGION_PRICES: dict[str, tuple[float, float, float, float]] = {
    "us-east-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "us-east-2": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "us-west-1": (_X86, _ARM, _REQUESTS, 0.0279),
    "us-west-2": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "ca-central-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "eu-west-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "eu-west-2": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "eu-west-3": (_X86, _ARM, _REQUESTS, 0.0297),
    "eu-central-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "eu-north-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "eu-south-1": (0.0000195172, 0.0000156138, 0.23, 0.02625),
    "ap-south-1": (_X86, _ARM, _REQUESTS, 0.0285),
    "ap-northeast-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "ap-northeast-2": (_X86, _ARM, _REQUESTS, 0.0271),
    "ap-northeast-3": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "ap-southeast-1": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "ap-southeast-2": (_X86, _ARM, _REQUESTS, _TRANSITIONS),
    "sa-east-1": (_X86, _ARM, _REQUESTS, 0.0375),
}

REGIONAL_PRICES: Mapping[str, PriceSheet] = MappingProxyType(
    {region: _sheet(*row) for region, row in _REGION_PRICES.items()}
)


def prices_for_region(region: str, explicit: PriceSheet | None = None) -> PriceSheet:
    """The price sheet for ``region``; ``explicit`` wins when given (unlisted regions, discounted tiers)."""
    if explicit is not None:
        return explicit
    try:
        return REGIONAL_PRICES[region]
    except KeyError:
        known = ", ".join(sorted(REGIONAL_PRICES))
        raise UnknownRegionError(
            f"no Lambda prices are known for region {region!r}; pass them in the input's 'prices' field "
            f"(known regions: {known})"
        ) from None


def billable_duration_ms(report: InvocationReport, *, init_billed: bool = True) -> int:
    """Milliseconds charged for one invocation: billed duration, billed restore and, on cold starts, INIT.

    Since 2025-08-01 INIT is billed for on-demand functions and Lambda folds it into Billed Duration. Older logs
    (or replays of them) report Billed Duration without it; adding INIT only when it is missing covers both.
    """
    billed = report.billed_duration_ms + (report.billed_restore_duration_ms or 0)
    if init_billed and report.init_duration_ms is not None:
        with_init = math.ceil(report.duration_ms + report.init_duration_ms)
        if report.billed_duration_ms < with_init - 1:
            billed += math.ceil(report.init_duration_ms)
    return billed


def gb_seconds(elapsed_ms: float, memory_mb: int) -> float:
    """What Lambda bills for ``elapsed_ms`` at ``memory_mb``: the unit its duration prices are per."""
    return elapsed_ms / 1000 * memory_mb / MB_PER_GB


def invocation_cost(
    memory_mb: int,
    billed_ms: float,
    prices: PriceSheet,
    architecture: Architecture,
    *,
    ephemeral_storage_mb: int = FREE_EPHEMERAL_STORAGE_MB,
) -> float:
    """USD for one invocation: duration at ``memory_mb`` for ``billed_ms``, storage above 512 MB, the request."""
    compute = gb_seconds(billed_ms, memory_mb) * prices.gb_second(architecture)
    extra_storage_mb = max(0, ephemeral_storage_mb - FREE_EPHEMERAL_STORAGE_MB)
    storage = gb_seconds(billed_ms, extra_storage_mb) * prices.ephemeral_storage_gb_second
    return compute + storage + prices.request


def report_cost(
    report: InvocationReport,
    prices: PriceSheet,
    architecture: Architecture,
    *,
    ephemeral_storage_mb: int = FREE_EPHEMERAL_STORAGE_MB,
    init_billed: bool = True,
) -> float:
    """USD for the invocation a REPORT describes, at the memory it ran with."""
    billed = billable_duration_ms(report, init_billed=init_billed)
    return invocation_cost(
        report.memory_size_mb, billed, prices, architecture, ephemeral_storage_mb=ephemeral_storage_mb
    )


def per_million(cost_per_invocation: float) -> float:
    return cost_per_invocation * INVOCATIONS_PER_MILLION


def step_functions_cost(transitions: int, prices: PriceSheet) -> float:
    """USD for ``transitions`` state transitions of a standard workflow."""
    return transitions * prices.step_functions_transition
