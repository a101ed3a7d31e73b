"""Errors the domain raises. Their class names reach Step Functions as the error name of a failed state."""

from pydantic import ValidationError


def problems_without_values(error: ValidationError, *, whole: str) -> str:
    """Each field at fault and why, never its value: pydantic's own message quotes what it rejected, and a
    failure's cause, logs and traces must not carry a caller's payload or a deployment's settings."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or whole}: {problem['msg']}"
        for problem in error.errors(include_input=False, include_url=False)
    )


class DomainError(Exception):
    """Base class: a problem stated in words a user can act on."""


class ReportNotFoundError(DomainError):
    """The log tail of an invocation holds no REPORT line or platform.report record."""


class MalformedReportError(DomainError):
    """A REPORT line or record is present but lacks a field or has an unreadable value."""


class UnknownRegionError(DomainError):
    """No price data is known for a region and none was passed explicitly."""


class InvalidInputError(DomainError):
    """The tuning input is invalid; ``problems`` lists every problem, each naming its field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid input: " + "; ".join(problems))


class BudgetExceededError(DomainError):
    """The run's estimated cost is above the caller's budgetUsd."""


class RunInProgressError(DomainError):
    """Another tuning run of the same function is in progress."""


class RunStoppedError(DomainError):
    """The run was closed (stopped, timed out, or cleaned up after a failure) while a step meant to change the
    target; the step changed nothing, or undid what it had just changed."""


class TargetNotFoundError(DomainError):
    """A function (or another resource) the run needs does not exist."""


class TargetAccountUnreachableError(DomainError):
    """The role in the target's account cannot be assumed (it does not exist, or does not trust this tuner)."""


class CodeChangedError(DomainError):
    """$LATEST's code is not what the run found: another deployment changed it meanwhile, and it is left alone."""


class TargetChangedError(DomainError):
    """The function changed under a traffic run (its code, its configuration or its alias), so what the run would
    publish or route is no longer the version production runs at another size."""
