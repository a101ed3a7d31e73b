"""Architecture advice: the choice in words with its monthly figure, and the architectures refused."""

import pytest

from autotuner.domain.advice.architecture import architecture_advice
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.decision.architecture import choose_architecture
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.inputs.portability import ArchitectureRefusal
from tests.unit.domain.advice.measured import measured

X86, ARM = Architecture.X86_64, Architecture.ARM64
STEADY = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8]
CHOICE = choose_architecture(
    X86, [(X86, measured(1024, STEADY, architecture=X86)), (ARM, measured(512, STEADY, architecture=ARM))],
    Strategy.COST, noise_threshold=0.01,
)  # fmt: skip


def test_a_switch_reported_with_what_it_saves_a_month() -> None:
    advice = architecture_advice(CHOICE, current=X86, monthly_invocations=3_000_000)
    assert advice is not None
    assert (advice.setting, advice.change, advice.applied) == ("Architectures: [arm64] at 512 MB", True, False)
    assert CHOICE.saving_per_invocation is not None
    assert advice.monthly_usd == pytest.approx(CHOICE.saving_per_invocation * 3_000_000)
    assert advice.why.endswith("Set applyArchitecture to let a run apply it.")
    assert "per million at the 3,000,000 invocations of the last 30 days" in advice.monthly_basis


def test_an_applied_switch_says_so_and_without_invocations_has_no_monthly_figure() -> None:
    advice = architecture_advice(CHOICE, current=X86, applied=True)
    assert advice is not None
    assert advice.applied
    assert advice.why.endswith("Applied.")
    assert advice.monthly_usd is None
    assert "no Invocations of the function in the last 30 days" in advice.monthly_basis


def test_a_refused_architecture_is_named_with_why() -> None:
    refusal = ArchitectureRefusal(architecture=ARM, reasons=["lib/x.so is a native binary built for x86_64"])
    advice = architecture_advice(None, current=X86, refused=[refusal])
    assert advice is not None
    assert (advice.setting, advice.change, advice.monthly_usd) == ("Architectures: keep [x86_64]", False, None)
    assert (
        advice.why == "The function cannot run on the other architecture as it is: arm64: lib/x.so is a native "
        "binary built for x86_64."
    )
    assert advice.refused == [refusal]


def test_one_architecture_and_nothing_refused_gives_no_advice() -> None:
    assert architecture_advice(None, current=ARM) is None
