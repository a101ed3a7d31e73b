"""Enough evidence to apply: auto-apply (and every automatic re-tune) applies only a size measured by at least 5 calls,
at least 4 of them warm, whose calls sent every weighted payload. Fewer calls have not seen the spread of the
function's durations or the largest of its payloads; the run then recommends the size and says why."""

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.decision.candidate import CandidateStats

MIN_CALLS = 5
MIN_WARM_CALLS = 4


class EvidenceFigures(CamelModel):
    """The calls behind a choice."""

    calls: int = Field(description="invocations that did not fail, the cold start included")
    warm_calls: int = Field(description="of those, the warm ones (with onlyColdStarts: every call in the sample)")
    payloads_sent: int = Field(description="distinct payloads those calls sent")
    payloads: int = Field(description="distinct payloads the input has (1 unless weighted)")


class EvidenceRule(CamelModel):
    """What a size needs before auto-apply may apply it."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    min_calls: int = MIN_CALLS
    min_warm_calls: int = MIN_WARM_CALLS
    payload_schedule: list[int] | None = Field(
        default=None, description="which weighted payload each invocation sends (the plan's schedule)"
    )
    only_cold_starts: bool = Field(
        default=False, description="every call is a cold start by design: the warm count reads as the sample's"
    )

    @property
    def payloads(self) -> int:
        return len(set(self.payload_schedule)) if self.payload_schedule else 1

    def figures(self, candidate: CandidateStats) -> EvidenceFigures:
        return EvidenceFigures(
            calls=candidate.calls,
            warm_calls=self._sample(candidate),
            payloads_sent=self._payloads_sent(candidate.invocations),
            payloads=self.payloads,
        )

    def refusal(self, candidate: CandidateStats) -> str | None:
        """Why auto-apply must not apply ``candidate`` on its evidence, with the figures; None when it may."""
        problems: list[str] = []
        calls, sample = candidate.calls, self._sample(candidate)
        if calls < self.min_calls or sample < self.min_warm_calls:
            if self.only_cold_starts:
                problems.append(
                    f"{candidate.memory_mb} MB was measured by {_calls(calls)} (each a cold start, as onlyColdStarts "
                    f"asks): auto-apply needs at least {self.min_calls}"
                )
            else:
                problems.append(
                    f"{candidate.memory_mb} MB was measured by {_calls(calls)}, {sample} of them warm: auto-apply "
                    f"needs at least {self.min_calls}, {self.min_warm_calls} of them warm"
                )
        sent = self._payloads_sent(candidate.invocations)
        if sent < self.payloads:
            problems.append(
                f"its calls sent {sent} of the {self.payloads} weighted payloads: auto-apply needs every one measured"
            )
        return "; ".join(problems) or None

    def calls_needed(self, candidate: CandidateStats | None) -> int:
        """Invocations to add at a size to meet the rule. A size measured before stays warm between rounds, so
        each added call is taken as warm; a size never measured starts with a cold one."""
        if candidate is None:
            return max(self.min_calls, self.min_warm_calls + 1, self._payload_calls(0))
        warm_short = self.min_warm_calls - self._sample(candidate) + (0 if candidate.invocations else 1)
        return max(0, self.min_calls - candidate.calls, warm_short, self._payload_calls(candidate.invocations))

    def _sample(self, candidate: CandidateStats) -> int:
        return candidate.calls if self.only_cold_starts else candidate.warm_invocations

    def _payloads_sent(self, invocations: int) -> int:
        """Invocation i of a size sends the schedule's payload i (its numbering continues across rounds)."""
        schedule = self.payload_schedule
        if not schedule:
            return min(1, invocations)
        return len({schedule[i % len(schedule)] for i in range(min(invocations, len(schedule)))})

    def _payload_calls(self, invocations: int) -> int:
        """Invocations to add until every payload has been sent."""
        added = 0
        while self._payloads_sent(invocations + added) < self.payloads:
            added += 1
        return added


def _calls(count: int) -> str:
    return "1 call" if count == 1 else f"{count} calls"
