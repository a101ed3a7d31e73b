"""How long a traffic run may measure: its maxHours, within what the deployment lets an execution take."""

import pytest

from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.traffic.plan import run_hours


def test_max_hours_stands_when_the_deployment_allows_it() -> None:
    assert run_hours(TrafficOptions(max_hours=6), 6 * 3600) == (6.0, [])
    assert run_hours(TrafficOptions(max_hours=24), 90_000) == (24.0, [])


def test_max_hours_stands_when_the_deployment_sets_no_limit() -> None:
    assert run_hours(TrafficOptions(), None) == (24.0, [])


def test_max_hours_beyond_the_execution_timeout_is_cut_with_a_warning_naming_it() -> None:
    hours, warnings = run_hours(TrafficOptions(max_hours=24), 43_200)
    assert hours == pytest.approx(12.0)
    assert warnings == [
        "traffic.maxHours: 24 h is more than this deployment lets a run measure (its ExecutionTimeoutSeconds, "
        "43,200 s); the run ends with what it has after 12 h"
    ]


def test_a_cut_to_part_of_an_hour_states_it_to_two_figures() -> None:
    hours, warnings = run_hours(TrafficOptions(max_hours=2), 5_400)
    assert hours == pytest.approx(1.5)
    assert warnings[0].endswith("the run ends with what it has after 1.5 h")
