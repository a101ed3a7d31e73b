"""The documents that flow between the workflow's states.

The state machine carries one ``RunDocument``. Plan creates it; Prepare, Measure and Apply fill one slot each
(``prepared``, ``measurements``, ``applied``); Measure's slot holds each task's batches' counts only, their reports
being stored in the run's own table. Analyze folds every round's stored measurements into ``analysis`` and plans
the next round; Cleanup and Notify finish. Every slot is always present (null until filled) so that every
JSONPath in the state machine resolves.
"""

from typing import Any, Self

from pydantic import Field, computed_field

from autotuner.domain.advice.concurrency import AccountConcurrency
from autotuner.domain.advice.model import TimeoutAdvice
from autotuner.domain.automation.canary import CanaryCheck
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.costs.run_cost import RunCost
from autotuner.domain.decision.architecture import ArchitectureChoice
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.scoring import PricingContext
from autotuner.domain.decision.selection import Decision
from autotuner.domain.inputs.arn import FunctionRef, function_name_of
from autotuner.domain.inputs.portability import ArchitectureRefusal
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.domain.inputs.tuning_input import Trigger, TuningInput
from autotuner.domain.measuring.measurement import MeasuredTask
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.search.batching import Batch, measure_tasks
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.traffic.plan import TrafficPlan
from autotuner.domain.traffic.trial import Trial
from autotuner.domain.traffic.window import TrafficCheck


class FunctionConfiguration(CamelModel):
    """What the run reads of the target before touching it, and restores afterwards."""

    function_arn: str
    memory_mb: int
    description: str = ""
    timeout_s: int
    architecture: Architecture = Architecture.X86_64
    ephemeral_storage_mb: int = 512
    code_sha256: str = ""
    runtime: str | None = None
    package_type: str = "Zip"
    state: str | None = None
    last_update_status: str | None = None
    snap_start: bool = False
    layers: list[str] = Field(default_factory=list, description="layer version ARNs")
    code_size_bytes: int = 0
    log_group: str = Field(default="", description="where its logs go (LoggingConfig); empty: Lambda's default")
    log_format: str = Field(default="Text", description="LoggingConfig.LogFormat: Text or JSON")
    fingerprint: dict[str, str] = Field(
        default_factory=dict,
        exclude=True,  # never in a document: a hash of a guessable setting (an environment variable) can be reversed
        description="a SHA-256 of each configuration field a traffic run compares (domain/traffic/configuration.py)",
    )

    @property
    def log_group_name(self) -> str:
        """Where the function's own words are: its messages and logs, which the tuner never repeats."""
        return self.log_group or f"/aws/lambda/{function_name_of(self.function_arn)}"


class TargetFacts(CamelModel):
    """What Plan read of the function beyond its configuration, for the advice (each None: not read)."""

    invoked_by: list[str] | None = Field(
        default=None, description="the service principals its resource policy lets invoke it"
    )
    reserved_concurrency: int | None = None
    account_concurrency: AccountConcurrency | None = None
    recent_max_duration_ms: float | None = Field(
        default=None, description="CloudWatch's Duration Maximum over the last 14 days, at the function's memory"
    )
    notes: list[str] = Field(default_factory=list, description="what could not be read, and why")


class TunerPricing(CamelModel):
    """The tuner's own Lambdas, for the run's estimated cost: Plan's memory stands for every step's (a step's
    actual bill is its own wall time at its own memory: Analysis.tuner_gb_seconds)."""

    memory_mb: int = 256
    architecture: Architecture = Architecture.ARM64


class AliasSpec(CamelModel):
    memory_mb: int
    alias: str
    architecture: Architecture | None = Field(default=None, description="in a run measuring more than one")


class Round(CamelModel):
    """One round of measuring: aliases to create, aliases no longer needed, and the invocations to perform, as the
    Measure tasks that perform them (domain/search/batching.py's ``measure_tasks``)."""

    number: int = 1
    prepare: list[AliasSpec] = Field(default_factory=list)
    retire: list[str] = Field(default_factory=list)
    tasks: list[list[Batch]] = Field(default_factory=list, description="each Measure task's batches, run at once")
    task_concurrency: int = Field(default=1, ge=1, description="Measure tasks the Map runs at once")

    @classmethod
    def of(
        cls,
        batches: list[Batch],
        *,
        max_concurrency: int,
        parallel: bool,
        number: int = 1,
        prepare: list[AliasSpec] | None = None,
        retire: list[str] | None = None,
    ) -> Self:
        grouped = measure_tasks(batches, max_concurrency=max_concurrency, parallel=parallel)
        return cls(
            number=number,
            prepare=prepare or [],
            retire=retire or [],
            tasks=grouped.tasks,
            task_concurrency=grouped.concurrency,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_prepare(self) -> bool:
        """Whether the round publishes or retires an alias; a round that only adds calls to sizes earlier rounds
        prepared goes from MoreRounds straight to Measure (a state and a Lambda fewer)."""
        return bool(self.prepare or self.retire)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def single_task(self) -> bool:
        """Whether the round's calls fit one Measure task, which MeasureOneTask runs with no Map around it (a
        state fewer: the Map and its one iteration are two transitions)."""
        return len(self.tasks) == 1

    @property
    def batches(self) -> list[Batch]:
        """Every batch of the round, in order."""
        return [batch for task in self.tasks for batch in task]

    @property
    def invocations(self) -> int:
        return sum(batch.invocations for batch in self.batches)


class PreparedAlias(CamelModel):
    alias: str
    version: str
    memory_mb: int
    architecture: Architecture | None = None


class Prepared(CamelModel):
    aliases: list[PreparedAlias] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list)
    elapsed_ms: float = 0.0
    gb_seconds: float = Field(
        default=0.0, description="what Lambda bills the step: its wall time at its function's memory"
    )


class MeasureSpec(CamelModel):
    """What a Measure task needs, decided once by Plan and passed to each task alone (a task neither reads nor
    validates the rest of the plan): the target and the role its calls go through, what each invocation sends,
    how invocations run, and when measuring must stop."""

    execution_id: str
    function: FunctionRef
    target_role: AssumedRole | None = None
    payloads: list[str] | None = Field(
        default=None, description="the distinct encoded payloads, when the input carried them (not payloadS3)"
    )
    payload_s3: str | None = Field(
        default=None, description="read by each Measure Lambda once: an S3 payload stays out of the state"
    )
    payload_schedule: list[int] | None = Field(
        default=None, description="for weighted payloads: which payload each invocation sends"
    )
    parallel_invocation: bool = False
    sleep_between_runs_ms: int = 0
    allowed_exceptions: list[str] = Field(default_factory=list)
    pre_processor_arn: str | None = None
    post_processor_arn: str | None = None
    max_concurrency: int
    deadline_epoch_s: float | None = Field(
        default=None, description="measuring stops past this (ExecutionTimeoutSeconds)"
    )


class Plan(CamelModel):
    """Everything decided before anything in the account is touched."""

    run_id: str
    execution_id: str
    started_at: str | None = None
    tuning: TuningInput
    given_fields: list[str] = Field(
        default_factory=list,
        description="the input's own fields (the rest are defaults), for the profile; canary.<key> for its canary's",
    )
    function: FunctionRef = Field(description="the target, unqualified (its partition, account and region)")
    target_role: AssumedRole | None = Field(
        default=None, description="the role in the target's account its calls go through; None: the tuner's own"
    )
    original: FunctionConfiguration
    pricing: PricingContext
    tuner: TunerPricing = Field(default_factory=TunerPricing)
    per_batch: int
    applies: bool
    apply_alias: str | None = None
    estimate: RunCost
    measure: MeasureSpec = Field(description="what each Measure task receives, instead of the whole plan")
    preflight_cost: float = 0.0
    preflight_invocations: int = 0
    warnings: list[str] = Field(default_factory=list)
    lanes: list[Architecture] = Field(
        default_factory=list,
        description="the architectures measured, the deployed one first; empty: the function's own only",
    )
    refused_architectures: list[ArchitectureRefusal] = Field(
        default_factory=list, description="architectures asked for that the function's code cannot switch to"
    )
    facts: TargetFacts = Field(default_factory=TargetFacts)
    traffic: TrafficPlan | None = Field(default=None, description="a traffic run's alias, baseline and bounds")

    @property
    def trigger(self) -> Trigger:
        return self.tuning.trigger

    @property
    def lane_architectures(self) -> list[Architecture | None]:
        """Each lane as batches and measurements name it: None for a run measuring one architecture."""
        return list(self.lanes) or [None]

    def pricing_for(self, architecture: Architecture | None) -> PricingContext:
        """The pricing of one lane's invocations."""
        if architecture is None or architecture is self.pricing.architecture:
            return self.pricing
        return self.pricing.model_copy(update={"architecture": architecture})

    @property
    def current_memory_mb(self) -> int:
        """The size the savings are measured against: the alias's version's for a traffic run, else $LATEST's."""
        return self.traffic.memory_mb if self.traffic is not None else self.original.memory_mb


class Lane(CamelModel):
    """One architecture's own analysis, in a run measuring more than one (None: the one of a run measuring one)."""

    architecture: Architecture | None
    candidates: list[CandidateStats] = Field(default_factory=list)
    decision: Decision | None = None
    curve: CostCurve | None = None
    retired_sizes: list[int] = Field(default_factory=list)

    @property
    def invocations(self) -> int:
        return sum(c.invocations for c in self.candidates)


class Analysis(CamelModel):
    """Measurements folded across rounds, and the decision they support. In a run measuring more than one
    architecture, the top-level candidates, decision, curve and retired sizes are one lane's (``architecture``:
    the deployed one while searching; at the end the one a run would apply), the others are in ``other_lanes``."""

    candidates: list[CandidateStats] = Field(default_factory=list, description="one per memory size measured")
    decision: Decision | None = None
    complete: bool = False
    rounds: int = 0
    tuner_gb_seconds: float = Field(
        default=0.0, description="the tuner's own Lambdas so far: each one's wall time at its own memory"
    )
    tuner_invocations: int = 0
    tasks: int = Field(default=0, description="Measure tasks run so far (one Lambda each)")
    single_task_rounds: int = Field(
        default=0, description="rounds measured by MeasureOneTask, with no Map: a transition fewer each"
    )
    prepares: int = Field(
        default=0, description="rounds that went through Prepare (one transition and one Lambda each)"
    )
    retired_sizes: list[int] = Field(default_factory=list, description="sizes the search let go (aliases deleted)")
    notes: list[str] = Field(default_factory=list)
    curve: CostCurve | None = Field(default=None, description="the cost curve over every MB (adaptive, cost)")
    architecture: Architecture | None = Field(default=None, description="the top-level lane's; None: one only")
    other_lanes: list[Lane] = Field(default_factory=list)
    architecture_choice: ArchitectureChoice | None = None
    timeout: TimeoutAdvice | None = Field(default=None, description="the timeout the chosen size wants")
    trials: list[Trial] = Field(default_factory=list, description="a traffic run's windows, one per candidate")
    published_versions: dict[int, str] = Field(
        default_factory=dict, description="the versions a traffic run published, by size (Apply promotes one)"
    )

    @property
    def invocations(self) -> int:
        """Every lane's."""
        return sum(c.invocations for c in self.candidates) + sum(lane.invocations for lane in self.other_lanes)

    @property
    def all_candidates(self) -> list[CandidateStats]:
        return [*self.candidates, *(c for lane in self.other_lanes for c in lane.candidates)]

    def invocations_by_size(self) -> dict[int, int]:
        return {c.memory_mb: c.invocations for c in self.candidates}

    def lanes(self) -> list[Lane]:
        """Every lane, the top-level one first (its architecture None in a run measuring one)."""
        top = Lane(
            architecture=self.architecture,
            candidates=self.candidates,
            decision=self.decision,
            curve=self.curve,
            retired_sizes=self.retired_sizes,
        )
        return [top, *self.other_lanes]


class CleanupReport(CamelModel):
    """What clean-up did, and what it read back afterwards: the only basis of what a run says about the end state."""

    skipped: str | None = Field(default=None, description="why nothing needed cleaning")
    deleted_aliases: list[str] = Field(default_factory=list)
    deleted_versions: list[str] = Field(default_factory=list)
    kept_versions: list[str] = Field(default_factory=list, description="run versions an alias still uses")
    restored_memory_mb: int | None = None
    restored_description: bool = False
    restored_alias: str | None = Field(default=None, description="an alias put back as the run found it")
    final_memory_mb: int | None = Field(default=None, description="read back from the function after clean-up")
    final_description_is_original: bool | None = Field(default=None, description="read back")
    alias_name: str | None = None
    final_alias_version: str | None = Field(default=None, description="read back: where that alias points")
    restored_code: bool = Field(default=False, description="$LATEST's code and architecture were put back")
    final_architecture: Architecture | None = Field(default=None, description="read back, when the run switched")
    final_code_sha256: str | None = Field(default=None, description="read back, when the run switched")
    code_note: str | None = Field(default=None, description="why $LATEST's code was left as another deployment made it")
    final_timeout_s: int | None = Field(default=None, description="read back")
    lock_released: bool = False
    complete: bool = False
    elapsed_ms: float = 0.0
    gb_seconds: float = Field(
        default=0.0, description="what Lambda bills the step: its wall time at its function's memory"
    )


class Failure(CamelModel):
    """A failed run, in words."""

    error: str
    message: str


class StepError(CamelModel):
    """What a Catch puts in ``$.error``."""

    error: str = Field(alias="Error")
    cause: str = Field(default="", alias="Cause")


class RunDocument(CamelModel):
    plan: Plan | None = None
    round: Round | None = None
    analysis: Analysis = Field(default_factory=Analysis)
    prepared: Prepared | None = None
    measurements: list[MeasuredTask] | None = None
    applied: AppliedChange | None = None
    canary_check: CanaryCheck | None = None
    traffic_check: TrafficCheck | None = None
    cleanup: CleanupReport | None = None
    error: StepError | None = None
    cleanup_error: StepError | None = None
    lambda_arn: str | None = Field(default=None, alias="lambdaARN", description="raw input, on a failed Plan")

    def state(self) -> dict[str, Any]:
        """The JSON the state machine carries: every slot present, null until filled."""
        return self.model_dump(mode="json", exclude={"error", "cleanup_error", "lambda_arn"})
