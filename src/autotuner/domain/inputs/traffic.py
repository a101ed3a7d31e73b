"""The input's ``measure`` and ``traffic`` options: a run that measures candidate sizes on the calls production
already makes to an alias, instead of invoking the function itself; and every field such a run cannot honour,
refused by name before anything is read."""

from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.arn import FunctionRef

MAX_WEIGHT = 0.5  # a candidate never takes more than half of production
MAX_HOURS = 24.0  # the stack's ExecutionTimeoutSeconds is at most a day
# A Step Functions standard execution keeps 25,000 history events; each check of a window adds about nine (Wait,
# Task and Choice states entered and exited, the task scheduled, started and succeeded).
MAX_CHECKS = 2_000
EVENTS_PER_CHECK = 9


class MeasureMode(StrEnum):
    INVOKE = "invoke"
    TRAFFIC = "traffic"


class TrafficOptions(CamelModel):
    """How a traffic run shares production with its candidates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(default=0.05, gt=0, le=MAX_WEIGHT, description="share of the alias's calls a candidate gets")
    invocations_per_size: int = Field(default=100, ge=10, le=100_000, description="production calls per candidate")
    max_hours: float = Field(
        default=MAX_HOURS, gt=0, le=MAX_HOURS, description="the run ends with what it has measured by then"
    )
    baseline_hours: float = Field(
        default=24.0, gt=0, le=14 * 24, description="how far back the current version's calls are read"
    )
    max_candidates: int = Field(default=5, ge=1, le=10, description="candidate sizes measured at most")
    check_every_seconds: int = Field(
        default=60, ge=10, le=3600, description="how often a window's calls, the alarms and the error rates are read"
    )
    error_rate_tolerance: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="how much higher (absolute) a candidate's error, throttle or time-out rate may be before it is "
        "routed back",
    )

    @property
    def most_checks(self) -> int:
        return int(self.max_hours * 3600 // self.check_every_seconds) + 1


_ANY = object()
# Fields that mean invoking the function, or that a traffic run has nothing to apply to: (why, the one value that
# is harmless, as a caller copying a whole input may give it; _ANY: none is).
_INVOKING_FIELDS: dict[str, tuple[str, object]] = {
    "payload": ("a traffic run sends nothing: production's own calls are measured", _ANY),
    "payloadS3": ("a traffic run sends nothing: production's own calls are measured", _ANY),
    "num": ("a traffic run takes traffic.invocationsPerSize production calls per size", _ANY),
    "powerValues": ("a traffic run chooses its candidates from production's figures and the cost curve", _ANY),
    "parallelInvocation": ("a traffic run invokes nothing", False),
    "sleepBetweenRunsMs": ("a traffic run invokes nothing", 0),
    "onlyColdStarts": ("production's cold starts are counted as they come", False),
    "preProcessorARN": ("a traffic run invokes nothing, so nothing is pre-processed", _ANY),
    "postProcessorARN": ("a traffic run invokes nothing, so nothing is post-processed", _ANY),
    "dryRun": ("a traffic run routes production traffic; there is no dry run of it", False),
    "maxInvocations": ("a traffic run invokes nothing; traffic.maxCandidates and invocationsPerSize bound it", _ANY),
    "allowedExceptions": ("production's errors count against a candidate as they come", []),
    "search": ("a traffic run has its own search, one candidate at a time", _ANY),
    "includeCurrent": ("the current version is always the baseline of a traffic run", True),
}


def traffic_input_problems(raw: dict[str, Any], measure: MeasureMode, function: FunctionRef | None) -> list[str]:
    """Why the input cannot be a traffic run as given (each naming its field); nothing for an ``invoke`` run that
    leaves ``traffic`` out."""
    if measure is not MeasureMode.TRAFFIC:
        if "traffic" in raw:
            return ["traffic: options of a traffic run; set measure to 'traffic', or drop them"]
        return []
    problems = [
        f"{field}: {why}; drop it"
        for field, (why, harmless) in _INVOKING_FIELDS.items()
        if field in raw and (harmless is _ANY or raw[field] != harmless)
    ]
    if function is not None:
        problems += _qualifier_problems(function)
    alias = raw.get("autoOptimizeAlias")
    if function is not None and function.alias and alias is not None and alias != function.alias:
        problems.append(
            f"autoOptimizeAlias: a traffic run applies to the alias it measures ({function.alias!r}); drop it"
        )
    traffic = raw.get("traffic")
    if isinstance(traffic, dict):
        problems += _check_problems(traffic)
    return problems


def _qualifier_problems(function: FunctionRef) -> list[str]:
    if function.alias is not None:
        return []
    where = f"arn:...:function:{function.name}:ALIAS"
    if function.qualifier == "$LATEST":
        return [f"lambdaARN: $LATEST takes no weighted traffic; name the alias production calls ({where})"]
    if function.version is not None:
        return [
            f"lambdaARN: version {function.version} cannot share its traffic; name the alias production calls ({where})"
        ]
    return [f"lambdaARN: a traffic run measures the alias production calls; qualify the ARN with it ({where})"]


def _check_problems(traffic: dict[str, Any]) -> list[str]:
    """A run's history holds only so many checks: refuse a pace that would outgrow it."""
    try:
        options = TrafficOptions.model_validate(traffic)
    except ValueError:
        return []  # the model's own validation names the field
    if options.most_checks <= MAX_CHECKS:
        return []
    least = int(options.max_hours * 3600 // MAX_CHECKS) + 1
    return [
        f"traffic.checkEverySeconds: every {options.check_every_seconds} s over maxHours {options.max_hours:g} is up "
        f"to {options.most_checks:,} checks, more than the {MAX_CHECKS:,} a run's history holds (Step Functions keeps "
        f"25,000 events, about {EVENTS_PER_CHECK} a check); check every {least} s or more, or lower maxHours"
    ]
