"""The whole advice of a run: each entry, or a note saying why it is missing."""

from autotuner.domain.advice.advise import Surroundings, advise
from autotuner.domain.advice.concurrency import Traffic
from autotuner.domain.advice.model import Advice
from autotuner.domain.advice.timeout import timeout_advice
from autotuner.domain.costs.pricing import Architecture
from tests.unit.domain.advice.measured import PRICES, measured

CHOSEN = measured(1024, [900.0, 950.0, 1000.0, 960.0, 940.0])
TIMEOUT = timeout_advice(
    CHOSEN, current_timeout_s=60, max_timeout_share=0.8, prices=PRICES, architecture=Architecture.X86_64
)


def test_a_run_with_traffic_gets_timeout_and_concurrency_advice() -> None:
    traffic = Traffic(days=14, invocations=1400, peak_concurrency=1, cold_starts=1400)
    advice = advise(
        CHOSEN, deployed=Architecture.X86_64, architecture=Architecture.X86_64, prices=PRICES,
        surroundings=Surroundings(traffic=traffic, runtime="nodejs22.x"), timeout=TIMEOUT, applied_timeout=True,
    )  # fmt: skip
    assert advice.architecture is None, "one architecture measured, none refused"
    assert advice.timeout is not None
    assert advice.timeout.applied
    assert advice.concurrency is not None
    assert advice.concurrency.monthly_usd is not None
    assert [e.setting for e in advice.entries()] == ["Timeout: 2 s", "tag autotuner:warm=1 (this stack's warmer)"]
    assert advice.notes == []


def test_without_traffic_the_concurrency_advice_says_why_it_is_missing() -> None:
    advice = advise(
        CHOSEN, deployed=Architecture.ARM64, architecture=Architecture.ARM64, prices=PRICES,
        surroundings=Surroundings(notes=["advice: its resource policy could not be read"]),
    )  # fmt: skip
    assert advice.concurrency is None
    assert advice.notes[0] == "advice: its resource policy could not be read"
    assert advice.notes[1].startswith("concurrency: CloudWatch has no Invocations of the function in the last 14 days")


def test_no_choice_no_timeout_or_concurrency_advice() -> None:
    advice = advise(
        None, deployed=Architecture.X86_64, architecture=Architecture.X86_64, prices=PRICES, surroundings=Surroundings()
    )
    assert advice == Advice(notes=["no size was chosen: no timeout or concurrency advice"])
