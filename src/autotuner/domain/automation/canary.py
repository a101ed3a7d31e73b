"""Canary apply: the new version takes a share of the alias's traffic while the workflow watches; then it is
promoted, or the alias is rolled back exactly as the run found it.

Pure: what the window is, what one version's metrics were, and the verdict they support. The workflow reads the
alarms and metrics (workflow/canary.py); the state machine's Wait loop paces the checks.
"""

import math
from enum import StrEnum

from pydantic import ConfigDict, Field, computed_field

from autotuner.domain.camel import CamelModel

DEFAULT_WEIGHT = 0.1
DEFAULT_DURATION_S = 1800
DEFAULT_CHECK_EVERY_S = 60
# A quiet window proves nothing without calls: ten calls is the fewest at which one error (10%) already exceeds the
# default error-rate tolerance, so the error check can act at all.
DEFAULT_MIN_INVOCATIONS = 10
# In a plan's given fields when the input set the canary's duration tolerance itself (then it is kept as given).
DURATION_TOLERANCE_GIVEN = "canary.durationTolerance"


class CanaryConfig(CamelModel):
    """The input's ``canary``: how much traffic the new version gets, for how long, and what counts as worse."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    weight: float = Field(default=DEFAULT_WEIGHT, gt=0, lt=1, description="share of the alias's traffic")
    duration_seconds: int = Field(default=DEFAULT_DURATION_S, ge=1, le=86_400)
    check_every_seconds: int = Field(default=DEFAULT_CHECK_EVERY_S, ge=1, le=3_600)
    error_rate_tolerance: float = Field(
        default=0.01, ge=0, le=1, description="how much higher (absolute) the new version's error rate may be"
    )
    duration_tolerance: float = Field(
        default=0.2, ge=0, le=10, description="how much higher (relative) the new version's p95 duration may be"
    )
    min_invocations: int = Field(
        default=DEFAULT_MIN_INVOCATIONS,
        ge=0,
        le=1_000_000,
        description="calls the new version must have served by the window's end to be promoted; with fewer there "
        "is nothing to judge it on, and the alias is rolled back",
    )

    @property
    def checks(self) -> int:
        """How many checks the window holds: the Wait loop paces them, so the window does not hang on clocks."""
        return max(1, math.ceil(self.duration_seconds / self.check_every_seconds))


class CanaryWindow(CamelModel):
    """A canary Apply started: the alias routes ``weight`` to ``new_version``; ``old_version`` stays the main one."""

    alias: str
    new_version: str
    old_version: str
    config: CanaryConfig
    started_epoch_s: float

    @computed_field  # type: ignore[prop-decorator]  # the state machine's Wait reads it from the document
    @property
    def wait_seconds(self) -> int:
        return self.config.check_every_seconds


class VersionFigures(CamelModel):
    """One version's invocations behind the alias during the window (CloudWatch, ExecutedVersion dimension)."""

    version: str
    invocations: float = 0
    errors: float = 0
    throttles: float = 0
    p95_duration_ms: float | None = Field(default=None, description="None when CloudWatch has no datapoints")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error_rate(self) -> float:
        return self.errors / self.invocations if self.invocations else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def throttle_rate(self) -> float:
        requests = self.invocations + self.throttles
        return self.throttles / requests if requests else 0.0

    def describe(self) -> str:
        p95 = f"p95 {self.p95_duration_ms:.0f} ms" if self.p95_duration_ms is not None else "no p95 datapoints"
        return (
            f"version {self.version}: {self.invocations:g} invocations, {self.errors:g} errors "
            f"({self.error_rate:.1%}), {self.throttles:g} throttles, {p95}"
        )


class Verdict(StrEnum):
    WATCHING = "watching"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"


class CanaryCheck(CamelModel):
    """The document's ``canaryCheck`` slot: the latest check, with the figures that decided it."""

    verdict: Verdict
    reason: str
    checks: int = Field(description="checks made so far")
    window: CanaryWindow
    alarms_in_alarm: list[str] = Field(default_factory=list)
    new: VersionFigures | None = None
    old: VersionFigures | None = None
    alias_version: str | None = Field(default=None, description="read back after the promotion or the rollback")
    alias_routing: dict[str, float] | None = Field(default=None, description="read back: AdditionalVersionWeights")


def judge(
    window: CanaryWindow, checks: int, alarms_in_alarm: list[str], new: VersionFigures, old: VersionFigures
) -> tuple[Verdict, str]:
    """Roll back at the first sign the new version is worse; promote once every check of the window was quiet and
    the new version served the calls a promotion needs (else roll back: nothing to judge it on)."""
    config = window.config
    worse = _sign_of_worse(config, alarms_in_alarm, new, old)
    if worse is not None:
        return Verdict.ROLLED_BACK, worse
    if checks < config.checks:
        return Verdict.WATCHING, f"check {checks} of {config.checks}: quiet so far"
    if new.invocations < config.min_invocations:
        return Verdict.ROLLED_BACK, (
            f"the new version served {new.invocations:g} calls in the {config.duration_seconds} s window, fewer than "
            f"the {config.min_invocations} a promotion needs (canary.minInvocations): nothing to judge it on "
            f"({new.describe()}; {old.describe()})"
        )
    return Verdict.PROMOTED, (
        f"quiet for all {config.checks} checks of {config.duration_seconds} s at {config.weight:.0%} of the traffic "
        f"({new.describe()}; {old.describe()})"
    )


def _sign_of_worse(
    config: CanaryConfig, alarms_in_alarm: list[str], new: VersionFigures, old: VersionFigures
) -> str | None:
    """Why the new version looks worse than the old one so far, if it does."""
    if alarms_in_alarm:
        return f"alarm {', '.join(alarms_in_alarm)} in ALARM during the canary"
    if new.error_rate > old.error_rate + config.error_rate_tolerance:
        return (
            f"the new version's error rate {new.error_rate:.1%} exceeds the old version's {old.error_rate:.1%} by "
            f"more than {config.error_rate_tolerance:.1%} ({new.describe()}; {old.describe()})"
        )
    if new.throttle_rate > old.throttle_rate + config.error_rate_tolerance:
        return (
            f"the new version's throttle rate {new.throttle_rate:.1%} exceeds the old version's "
            f"{old.throttle_rate:.1%} by more than {config.error_rate_tolerance:.1%}"
        )
    if (
        new.p95_duration_ms is not None
        and old.p95_duration_ms is not None
        and new.p95_duration_ms > old.p95_duration_ms * (1 + config.duration_tolerance)
    ):
        return (
            f"the new version's p95 duration {new.p95_duration_ms:.0f} ms exceeds the old version's "
            f"{old.p95_duration_ms:.0f} ms by more than {config.duration_tolerance:.0%}"
        )
    return None


def canary_problems(alias: str, version: str | None, routing: dict[str, float]) -> list[str]:
    """Why the alias, as it is now, cannot carry a canary (before anything changes): the new version's share is
    routed next to a published main version, and an alias already shifting traffic belongs to another deployment."""
    if version is None:
        return [f"canary: alias {alias!r} does not exist; a canary shares an existing alias's traffic"]
    if version == "$LATEST":
        return [f"canary: alias {alias!r} points to $LATEST; Lambda routes weighted traffic between versions only"]
    if routing:
        weights = ", ".join(f"version {v} at {w:.0%}" for v, w in sorted(routing.items()))
        return [f"canary: alias {alias!r} already routes traffic ({weights}); another deployment is in progress"]
    return []
