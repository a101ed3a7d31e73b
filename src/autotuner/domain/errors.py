"""Errors the domain raises. Their class names reach Step Functions as the error name of a failed state."""


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
