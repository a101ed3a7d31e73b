"""Following a tuning run as it goes: which states have completed, and invocations done out of planned."""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from autotuner.adapters.executions import Execution, Executions, HistoryEvent
from autotuner.domain.measuring.measurement import MeasuredTask
from autotuner.domain.run.documents import Round

FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# Where tuner.asl.json's Catch sends a failed state: a state that exits into these did not complete (a contract
# test checks this against the definition).
FAILURE_PATH = frozenset({"CleanupAfterFailure", "ReportFailure"})
MAX_POLL_S = 2.0
SHOWN_STATES = ("Plan", "Prepare", "Measure", "Analyze", "Apply", "Cleanup", "Notify")
# A round of one Measure task takes these states instead of Prepare and the Measure Map: shown as those.
SHOWN_AS = {"PrepareForOneTask": "Prepare", "MeasureOneTask": "Measure"}


@dataclass
class Progress:
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    planned_invocations: int = 0
    done_invocations: int = 0
    failed_invocations: int = 0
    rounds: int = 0
    candidate: str = ""  # a traffic run's window in progress (or the last one), in words

    @classmethod
    def from_history(cls, events: list[HistoryEvent]) -> "Progress":
        progress = cls()
        exited: str | None = None  # a shown state that exited; the state entered next says how it ended
        for event in events:
            if event.type.endswith("StateEntered") and exited is not None:
                (progress.failed if event.state in FAILURE_PATH else progress.completed).append(exited)
                exited = None
            shown = SHOWN_AS.get(event.state or "", event.state)
            if event.type.endswith("StateExited") and shown in SHOWN_STATES:
                exited = shown
            output = event.output or {}
            if event.type == "LambdaFunctionSucceeded" and {"batches", "elapsedMs"} <= output.keys():  # a task
                batches = MeasuredTask.model_validate(output).batches
                progress.done_invocations += sum(b.attempted for b in batches)
                progress.failed_invocations += sum(b.failed for b in batches)
            if event.type == "LambdaFunctionSucceeded" and (window := _traffic_window(output)) is not None:
                progress.candidate = (
                    f"Candidate {window['number']}: {window['memoryMb']} MB, "
                    f"{window['candidate']['calls']} production calls"
                )
            round_ = output.get("round") if event.type == "LambdaFunctionSucceeded" else None
            if isinstance(round_, dict) and isinstance(output.get("analysis"), dict):
                rounds_done = int(output["analysis"].get("rounds", 0))
                if rounds_done >= progress.rounds:  # Plan (round 1) or an Analyze that planned another round
                    progress.rounds = rounds_done
                    if not output["analysis"].get("complete"):
                        progress.planned_invocations = (
                            progress.done_invocations + Round.model_validate(round_).invocations
                        )
        return progress

    def line(self) -> str:
        marks = []
        for state in SHOWN_STATES:
            # A later round's failure outweighs an earlier round's success.
            ending = " ✗" if state in self.failed else (" ✓" if state in self.completed else "")
            if state == "Measure" and (self.planned_invocations or ending):
                done, planned = self.done_invocations, max(self.planned_invocations, self.done_invocations)
                marks.append(f"Measure {done}/{planned}{ending}{self._not_measured(planned, ending)}")
            elif ending:
                marks.append(f"{state}{ending}")
            if state == "Plan" and self.candidate:
                marks.append(self.candidate)
        return "  ".join(marks) or "starting…"

    def _not_measured(self, planned: int, ending: str) -> str:
        """Once Measure has ended: the planned calls it did not make (a failure ends a size's batch) and those
        that failed, so that a tick never reads as every call measured."""
        if not ending:
            return ""
        counts = []
        if (skipped := planned - self.done_invocations) > 0:
            counts.append(f"{skipped} skipped")
        if self.failed_invocations:
            counts.append(f"{self.failed_invocations} failed")
        return f" ({', '.join(counts)})" if counts else ""


def _traffic_window(output: dict[str, Any]) -> dict[str, Any] | None:
    """The window a traffic run's step returned: RouteCandidate's TrafficCheck, or the document CheckTraffic
    returns with it inside."""
    check = output.get("trafficCheck", output)
    window = check.get("window") if isinstance(check, dict) and "verdict" in check else None
    shown = isinstance(window, dict) and {"number", "memoryMb", "candidate"} <= window.keys()
    return window if shown and isinstance(window, dict) else None


def follow(
    executions: Executions,
    execution_arn: str,
    *,
    out: TextIO | None = None,
    poll_s: float = 1.0,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Execution:
    """Print progress until the run ends; return its final description. Each poll reads the whole history, which
    grows with the run, so the polls space out as the run goes on (every ``poll_s``, at most a twentieth of the
    time it has taken, up to ``MAX_POLL_S``): a long traffic run polled every 0.1 s spent more CPU on its own
    history than on tuning."""
    out = out or sys.stdout
    interactive = out.isatty()
    shown = ""
    started = time.monotonic()
    while True:
        execution = executions.describe(execution_arn)
        line = Progress.from_history(executions.history(execution_arn)).line()
        if line != shown:
            out.write(f"\r  {line}\033[K" if interactive else f"  {line}\n")
            out.flush()
            shown = line
        if execution.status in FINISHED:
            if interactive:
                out.write("\n")
            return execution
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            raise TimeoutError(f"the run is still {execution.status} after {timeout_s:.0f} s: {execution_arn}")
        sleep(min(MAX_POLL_S, max(poll_s, (time.monotonic() - started) / 20)))
