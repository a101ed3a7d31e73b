"""The demo is reproducible: one seed gives the same choices and figures however the threads interleave."""

import io
from pathlib import Path
from typing import Any

import pytest

from autotuner.domain.run.output import TuningOutput
from autotuner_cli.demo import run_demo
from autotuner_cli.demo_targets import DEMO_TARGETS

pytestmark = pytest.mark.slow

# video-transcode's true cost is flat from 256 to 1,769 MB: the choice among them rests on the noise alone, so it
# moves the moment a draw follows the threads (the issue saw 1,024, 512 and 1,536 MB from one seed).
TARGETS = [t for t in DEMO_TARGETS if t.name in {"video-transcode", "ml-inference-adaptive"}]


def measured(output: TuningOutput) -> dict[str, Any]:
    """Everything a run measured and decided; not how long the tuner's own steps took (the host's wall clock)."""
    dumped = output.model_dump(mode="json", include={"power", "cost", "duration", "decision", "candidates"})
    dumped |= output.model_dump(mode="json", include={"savings", "confidence", "stats"})
    dumped["applied"] = output.applied and output.applied.model_dump(mode="json", exclude={"elapsed_ms", "gb_seconds"})
    dumped["targetInvocations"] = output.state_machine.invocations
    dumped["targetCost"] = output.state_machine.lambda_cost
    return dumped


def test_one_seed_gives_the_same_choices_and_figures_whatever_the_concurrency(tmp_path: Path) -> None:
    one_at_a_time = run_demo(tmp_path / "a", seed=3, stream=io.StringIO(), targets=TARGETS, max_concurrency=1)
    all_at_once = run_demo(tmp_path / "b", seed=3, stream=io.StringIO(), targets=TARGETS, max_concurrency=40)
    assert [name for name, _ in one_at_a_time] == [t.name for t in TARGETS]
    for (name, first), (_, second) in zip(one_at_a_time, all_at_once, strict=True):
        assert measured(first) == measured(second), name


def test_another_seed_draws_other_measurements(tmp_path: Path) -> None:
    """The figures follow the seed (the test above would pass trivially if nothing were random)."""
    (_, first), *_ = run_demo(tmp_path / "a", seed=3, stream=io.StringIO(), targets=TARGETS[:1])
    (_, second), *_ = run_demo(tmp_path / "b", seed=4, stream=io.StringIO(), targets=TARGETS[:1])
    assert measured(first)["candidates"] != measured(second)["candidates"]
