"""The tuning workflow's input: what a caller starts a run with, read and checked in one place.

It accepts aws-lambda-power-tuning's documented input unchanged (same names, same defaults), plus ours.
"""

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, JsonValue, ValidationError
from pydantic.alias_generators import to_camel

from autotuner.domain.automation.canary import CanaryConfig
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, PriceSheet
from autotuner.domain.decision.candidate import Constraints
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.memory_sizes import (
    DEFAULT_POWER_VALUES,
    MAX_MEMORY_MB,
    MIN_MEMORY_MB,
    all_power_values,
    validate_memory_sizes,
)
from autotuner.domain.inputs.payload import Payload, payload_of, read_payload
from autotuner.domain.inputs.reference_reading import MAX_DISCARD_TOP_BOTTOM, read_as_reference
from autotuner.domain.inputs.traffic import MeasureMode, TrafficOptions, traffic_input_problems

MIN_NUM = 5
MAX_NUM = 1000
DEFAULT_NUM = 10
DEFAULT_MAX_CONCURRENCY = 10
# Step Functions runs at most 40 inline Map iterations at once (parallel invocations: one batch per iteration);
# serial batches run that many at once inside a Measure task.
MAX_INLINE_MAP_CONCURRENCY = 40
MAX_INLINE_PAYLOAD_BYTES = 64 * 1024  # state documents are capped at 256 KB; larger payloads go through S3
# Invocations' reports never cross the state machine (Measure stores them; see domain/measuring/measurement.py); what
# grows with a run is its list of batches (grouped into Measure tasks), about 250 bytes of state each: this
# keeps a round's state well inside Step Functions' 256 KB.
MAX_BATCHES_PER_ROUND = 500
# The slots of the state machine's document (domain/run/documents.py) and the names its failure path writes: an input
# that carries one is refused by name, whatever the state machine does with the input.
INTERNAL = frozenset(
    {"input", "executionId", "plan", "round", "analysis", "prepared", "measurements", "applied", "cleanup", "error",
     "cleanupError", "failure", "reportError", "document", "canaryCheck", "trafficCheck"}
)  # fmt: skip
_ALIAS_NAME = re.compile(r"^(?!\d+$)[a-zA-Z0-9_-]{1,128}$")
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


class SearchMode(StrEnum):
    SWEEP = "sweep"
    ADAPTIVE = "adaptive"


class TriggerSource(StrEnum):
    MANUAL = "manual"
    ALARM = "alarm"
    SCHEDULE = "schedule"


class Trigger(CamelModel):
    """What started a run; set by the alarm subscriber and the fleet scheduler."""

    source: TriggerSource = TriggerSource.MANUAL
    alarm_name: str | None = None
    reason: str | None = None
    time: str | None = None
    metric: str | None = Field(default=None, description="the alarm's Lambda metric")
    statistic: str | None = None
    threshold: float | None = None
    constraint: str | None = Field(default=None, description="what the alarm added to the run's constraints")


class TuningDefaults(CamelModel):
    """Deployment-level defaults (template parameters) that the input may override."""

    power_values: list[int] = Field(default_factory=lambda: list(DEFAULT_POWER_VALUES))
    max_memory_mb: int = MAX_MEMORY_MB


class TuningInput(CamelModel):
    """The state machine's input."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    # aws-lambda-power-tuning's input
    lambda_arn: str = Field(alias="lambdaARN")
    num: int = DEFAULT_NUM  # bounds checked with the other fields: the minimum depends on dryRun
    power_values: list[Any] | Literal["ALL"] | None = None
    payload: JsonValue = None
    payload_s3: str | None = None
    parallel_invocation: bool = False
    strategy: Strategy = Strategy.COST
    balanced_weight: float = Field(default=0.5, ge=0, le=1)
    auto_optimize: bool = False
    auto_optimize_alias: str | None = None
    dry_run: bool = False
    discard_top_bottom: float | None = Field(default=None, ge=0, le=MAX_DISCARD_TOP_BOTTOM)
    sleep_between_runs_ms: int = Field(default=0, ge=0, le=60_000)
    only_cold_starts: bool = False
    allowed_exceptions: list[str] = Field(default_factory=list)
    include_output_results: bool = False
    disable_payload_logs: bool = False
    pre_processor_arn: str | None = Field(default=None, alias="preProcessorARN")
    post_processor_arn: str | None = Field(default=None, alias="postProcessorARN")

    # ours
    constraints: Constraints = Field(default_factory=Constraints)
    search: SearchMode | None = Field(
        default=None, description="default: adaptive, unless the input asks for a sweep by giving num or powerValues"
    )
    budget_usd: float | None = Field(default=None, gt=0)
    max_invocations: int | None = Field(default=None, gt=0, description="cap on target invocations (adaptive)")
    noise_threshold: float = Field(default=0.01, ge=0, le=0.5)
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1, le=MAX_INLINE_MAP_CONCURRENCY)
    max_memory_mb: int | None = Field(default=None, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    include_current: bool = Field(default=True, description="also measure the current memory, for the savings")
    prices: PriceSheet | None = None
    trigger: Trigger = Field(default_factory=Trigger)
    canary: CanaryConfig | None = Field(default=None, description="apply through a canary on the alias")
    architectures: list[Architecture] | None = Field(
        default=None,
        description="measure each size on these architectures too (the function's own is always measured); "
        "null: its own only",
    )
    apply_architecture: bool = Field(
        default=False,
        description="let the choice switch the function's architecture (else the output reports what it would save)",
    )
    apply_timeout: bool = Field(default=False, description="set the recommended timeout together with the memory")
    save_profile: bool = Field(
        default=False, description="store this input (as given) as the function's profile once the run succeeds"
    )
    measure: MeasureMode = Field(
        default=MeasureMode.INVOKE,
        description="invoke: the tuner invokes the function; traffic: candidates take a share of the alias's "
        "production calls, and the function is never invoked by the tuner",
    )
    traffic: TrafficOptions | None = Field(default=None, description="how a traffic run shares production")

    @property
    def on_traffic(self) -> bool:
        return self.measure is MeasureMode.TRAFFIC

    @property
    def traffic_options(self) -> TrafficOptions:
        return self.traffic or TrafficOptions()

    @property
    def function(self) -> FunctionRef:
        return parse_function_arn(self.lambda_arn)

    @property
    def payload_model(self) -> Payload:
        """What the run sends; read from a validated input, so a weighted list's weights are known good."""
        return payload_of(self.payload, self.payload_s3)

    @property
    def trim_fraction(self) -> float:
        """0 with onlyColdStarts (each cold start counts), else discardTopBottom (clamped when read)."""
        if self.only_cold_starts:
            return 0.0
        return 0.2 if self.discard_top_bottom is None else self.discard_top_bottom

    def may_choose(self, memory_mb: int) -> bool:
        """A sweep chooses among the sizes it was asked to compare (powerValues, or the deployment's), as the
        reference tool does; the current size is measured beside them as the baseline of the savings only."""
        return self.search is not SearchMode.SWEEP or memory_mb in self.resolved_power_values

    @property
    def resolved_power_values(self) -> list[int]:
        """Set by ``parse_tuning_input``: the validated, sorted sizes."""
        if not isinstance(self.power_values, list):
            raise RuntimeError("power values are resolved by parse_tuning_input")
        return [int(v) for v in self.power_values]

    @property
    def apply_alias(self) -> str | None:
        """The alias an applied choice goes to: autoOptimizeAlias, else the alias the ARN names."""
        return self.auto_optimize_alias or self.function.alias

    @property
    def applies(self) -> bool:
        return self.auto_optimize and not self.dry_run


@dataclass(frozen=True)
class ReadInput:
    """A validated input, and a warning for every value read as aws-lambda-power-tuning reads it (clamped or
    ignored) rather than as given."""

    tuning: TuningInput
    warnings: list[str]


def given_fields(raw: object) -> list[str]:
    """The fields the input set itself (the rest are defaults): its top-level keys, and ``canary.<key>`` (camelCase)
    for each of its canary's, whose defaults the run may adapt to what it measured."""
    if not isinstance(raw, dict):
        return []
    canary = raw.get("canary")
    nested = [f"canary.{to_camel(str(key))}" for key in canary] if isinstance(canary, dict) else []
    return sorted([*map(str, raw), *nested])


def parse_tuning_input(raw: object, defaults: TuningDefaults | None = None) -> TuningInput:
    """Validate ``raw`` and resolve its defaults; every problem is reported at once, each naming its field."""
    return read_tuning_input(raw, defaults).tuning


def read_tuning_input(raw: object, defaults: TuningDefaults | None = None) -> ReadInput:
    """``parse_tuning_input``, with the warnings of what was read leniently."""
    defaults = defaults or TuningDefaults()
    if not isinstance(raw, dict):
        raise InvalidInputError([f"input: expected a JSON object with lambdaARN, got {_json_type(raw)}"])
    internal = [f"{key}: the workflow uses this name internally; it cannot be given" for key in raw if key in INTERNAL]
    if internal:
        raise InvalidInputError(internal)
    reading = read_as_reference(raw)
    try:
        parsed = TuningInput.model_validate(reading.input)
    except ValidationError as error:
        raise InvalidInputError([_describe(e) for e in error.errors()]) from None
    if parsed.search is None:
        parsed = parsed.model_copy(update={"search": _default_search(reading.input, parsed)})
    problems = _cross_field_problems(parsed)
    problems += traffic_input_problems(reading.input, parsed.measure, _function_or_none(parsed))
    max_memory = min(parsed.max_memory_mb or defaults.max_memory_mb, defaults.max_memory_mb)
    requested = parsed.power_values
    if requested == "ALL":
        sizes = all_power_values(max_memory)
    else:
        sizes, size_problems = validate_memory_sizes(
            defaults.power_values if requested is None else requested, max_memory_mb=max_memory
        )
        problems += size_problems
    if problems:
        raise InvalidInputError(problems)
    tuning = parsed.model_copy(
        update={"power_values": sizes, "num": 1 if parsed.dry_run else parsed.num, "max_memory_mb": max_memory}
    )
    if tuning.on_traffic and tuning.auto_optimize and tuning.canary is None:
        # The chosen version has served its share already; it takes the alias through a canary all the same.
        tuning = tuning.model_copy(update={"canary": CanaryConfig()})
    return ReadInput(tuning=tuning, warnings=[*reading.warnings, *_margins_off(tuning.constraints)])


def _function_or_none(tuning: TuningInput) -> FunctionRef | None:
    try:
        return tuning.function
    except ValueError:
        return None  # named by _cross_field_problems


def _margins_off(constraints: Constraints) -> list[str]:
    """A margin turned off runs as asked, and the output says what that risks."""
    warnings: list[str] = []
    if constraints.min_memory_headroom == 0:
        warnings.append(
            "constraints.minMemoryHeadroom: 0 turns the memory margin off: a size may be chosen with no memory free "
            "over what its calls used, or right above a size that ran out of memory"
        )
    if constraints.max_timeout_share == 1:
        warnings.append(
            "constraints.maxTimeoutShare: 1 turns the timeout margin off: a size may be chosen whose slowest call "
            "came right up to the function's timeout"
        )
    return warnings


def _json_type(value: object) -> str:
    names = {type(None): "null", bool: "a boolean", str: "a string", list: "an array", int: "a number"}
    names[float] = "a number"
    return names.get(type(value), type(value).__name__)


def _default_search(raw: dict[str, Any], parsed: TuningInput) -> SearchMode:
    """The adaptive search, which the benchmark shows finds as good a size with fewer invocations; but an input
    that names its sizes or its invocation count (as every aws-lambda-power-tuning input does) gets the sweep it
    asks for, and so do runs the adaptive search cannot serve (parallel, cold starts only, dry runs)."""
    if parsed.on_traffic:
        return SearchMode.ADAPTIVE  # one candidate at a time, stopping once decided (domain/traffic/search.py)
    asks_for_sweep = "num" in raw or "powerValues" in raw
    if asks_for_sweep or parsed.parallel_invocation or parsed.only_cold_starts or parsed.dry_run:
        return SearchMode.SWEEP
    return SearchMode.ADAPTIVE


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "input"
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown field (check its spelling against the documented input)"
    return f"{location}: {error['msg']}"


def _cross_field_problems(tuning: TuningInput) -> list[str]:
    problems: list[str] = []
    function: FunctionRef | None = None
    try:
        function = tuning.function
    except ValueError as error:
        problems.append(f"lambdaARN: {error}")
    for field, arn in (("preProcessorARN", tuning.pre_processor_arn), ("postProcessorARN", tuning.post_processor_arn)):
        if arn is not None:
            try:
                parse_function_arn(arn)
            except ValueError as error:
                problems.append(f"{field}: {error}")
    problems += _num_problems(tuning)
    problems += _payload_problems(tuning)
    alias = tuning.auto_optimize_alias
    if alias is not None and not _ALIAS_NAME.match(alias):
        problems.append(f"autoOptimizeAlias: {alias!r} is not a valid alias name")
    if function is not None:
        problems += _qualifier_problems(tuning, function)
    if tuning.canary is not None and not (tuning.auto_optimize and tuning.apply_alias):
        problems.append("canary: applies to an alias; set autoOptimize and autoOptimizeAlias (or alias the lambdaARN)")
    if tuning.save_profile and tuning.dry_run:
        problems.append(
            "saveProfile: a dry run's input would make every automatic run a dry run; store the profile from a run "
            "without dryRun, or with `autotuner profile set`"
        )
    invoked = not tuning.on_traffic  # a traffic run names these fields itself (domain/inputs/traffic.py)
    if invoked and tuning.search is SearchMode.ADAPTIVE and (tuning.parallel_invocation or tuning.only_cold_starts):
        problems.append(
            "search: the adaptive search compares warm invocations made one at a time; drop parallelInvocation "
            "and onlyColdStarts, or use search 'sweep'"
        )
    problems += _architecture_problems(tuning)
    if tuning.search is SearchMode.SWEEP and tuning.max_invocations is not None:
        sizes = len(tuning.power_values) if isinstance(tuning.power_values, list) else 1
        planned = tuning.num * sizes * max(1, len(tuning.architectures or ()))
        if planned > tuning.max_invocations:
            problems.append(f"maxInvocations: a sweep of this input needs {planned} invocations")
    return problems


def _architecture_problems(tuning: TuningInput) -> list[str]:
    problems: list[str] = []
    listed = tuning.architectures
    if listed is not None and not listed:
        problems.append("architectures: list at least one architecture (x86_64, arm64), or leave it out")
    if listed and len(set(listed)) < len(listed):
        problems.append(f"architectures: each architecture once (got {[a.value for a in listed]})")
    if tuning.apply_architecture and not listed:
        problems.append("applyArchitecture: nothing to switch to; list the architectures to compare in architectures")
    return problems


def _num_problems(tuning: TuningInput) -> list[str]:
    """In the contract's words (a bound on the field would say "greater than or equal to 1" where it means 5)."""
    if tuning.num > MAX_NUM:
        return [f"num: must be at most {MAX_NUM} (got {tuning.num})"]
    if tuning.dry_run and tuning.num < 1:
        return [f"num: must be at least 1 (got {tuning.num})"]
    if not tuning.dry_run and tuning.num < MIN_NUM:
        return [f"num: must be at least {MIN_NUM} (got {tuning.num}); fewer invocations cannot be trusted"]
    return []


def _payload_problems(tuning: TuningInput) -> list[str]:
    problems: list[str] = []
    if tuning.payload_s3 is not None and not _S3_URI.match(tuning.payload_s3):
        problems.append(f"payloadS3: {tuning.payload_s3!r} is not an s3://bucket/key URI")
    try:
        read_payload(tuning.payload, num=None if tuning.dry_run else tuning.num)
    except InvalidInputError as error:
        problems += error.problems
    size = len(json.dumps(tuning.payload).encode()) if tuning.payload is not None else 0
    if size > MAX_INLINE_PAYLOAD_BYTES:
        problems.append(
            f"payload: {size // 1024} KB inline is more than a Step Functions state can carry; upload it and use "
            "payloadS3"
        )
    return problems


def _qualifier_problems(tuning: TuningInput, function: FunctionRef) -> list[str]:
    problems: list[str] = []
    if function.alias and tuning.auto_optimize_alias and function.alias != tuning.auto_optimize_alias:
        problems.append(
            f"autoOptimizeAlias: {tuning.auto_optimize_alias!r} differs from the alias in lambdaARN "
            f"({function.alias!r}); give one"
        )
    if tuning.auto_optimize and function.version is not None and not tuning.auto_optimize_alias:
        problems.append(
            f"lambdaARN: version {function.version} is immutable and cannot be optimized; pass an alias or the "
            "unqualified ARN, or set autoOptimizeAlias"
        )
    return problems
