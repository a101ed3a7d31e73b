"""How a run names what it creates (versions, aliases), so that clean-up finds exactly that and nothing else."""

import hashlib
from typing import Literal

RUN_TAG_PREFIX = "autotuner"
ALIAS_PREFIX = "at"


def run_id_for(execution_id: str) -> str:
    """A short, stable id for a tuning run (the Step Functions execution ARN in, 10 hex characters out)."""
    return hashlib.sha256(execution_id.encode()).hexdigest()[:10]


def alias_name(
    run_id: str, memory_mb: int, cold_start_index: int | None = None, architecture: str | None = None
) -> str:
    """``architecture``: in a run measuring more than one, each alias names its own (x86_64 or arm64)."""
    suffix = "" if cold_start_index is None else f"-c{cold_start_index}"
    lane = "" if architecture is None else f"-{architecture}"
    return f"{ALIAS_PREFIX}-{run_id}-{memory_mb}{lane}{suffix}"


def run_tag(run_id: str) -> str:
    """The prefix of every description the run writes; clean-up deletes versions whose description has it."""
    return f"{RUN_TAG_PREFIX} run {run_id}"


def version_description(
    run_id: str, memory_mb: int, purpose: Literal["measure", "apply"] = "measure", architecture: str | None = None
) -> str:
    on = "" if architecture is None else f" on {architecture}"
    return f"{run_tag(run_id)}: {purpose} {memory_mb} MB{on}"


def role_session_name(run_id: str) -> str:
    """The session of a role assumed in a target's account: the run's id, as its versions' descriptions hold it
    (at most 64 characters of [\\w+=,.@-], as STS requires)."""
    return f"{RUN_TAG_PREFIX}-run-{run_id}"


def is_run_alias(name: str, run_id: str) -> bool:
    return name.startswith(f"{ALIAS_PREFIX}-{run_id}-")


def is_run_version(description: str, run_id: str) -> bool:
    return description.startswith(run_tag(run_id) + ":")
