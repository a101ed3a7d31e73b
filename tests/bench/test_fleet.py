"""The fleet benchmark's figures come from the emulator's recording of Lambda's control plane, and that recording
holds every Lambda call the tuner's handlers made (each served once, its throttled attempts besides)."""

from collections import Counter

import pytest
from bench.fleet import TEMPLATE_MAX_CONCURRENCY, FleetRun, RunOutcome, main, measure, notes, table

from autotuner_local.control_plane import SHARED_RATE, peak_in_window


@pytest.fixture(scope="module")
def fleet() -> FleetRun:
    return measure(6, 3, progress=False)


def cells(markdown: str) -> list[str]:
    return [cell.strip() for cell in markdown.splitlines()[-1].strip("|").split("|")]


@pytest.mark.slow
def test_every_tagged_function_is_tuned_at_most_concurrency_at_once(fleet: FleetRun) -> None:
    assert fleet.fleet_status == "SUCCEEDED"
    assert fleet.outcomes == {"tuned": 6}
    assert sorted(run.function for run in fleet.runs) == [f"fleet-{i:04d}" for i in range(6)]
    assert [run.status for run in fleet.runs] == ["SUCCEEDED"] * 6, fleet.failure_causes()
    assert 1 <= fleet.most_runs_at_once <= 3


@pytest.mark.slow
def test_the_recording_holds_each_of_the_handlers_lambda_calls_once_admitted(fleet: FleetRun) -> None:
    assert fleet.handler_calls, "the runs made control-plane calls"
    assert fleet.admitted() == fleet.handler_calls
    assert peak_in_window(sorted(r.at for r in fleet.requests if not r.throttled)) <= SHARED_RATE


@pytest.mark.slow
def test_the_table_s_figures_are_the_recording_s(fleet: FleetRun) -> None:
    row = cells(table([fleet]))
    times = sorted(r.at for r in fleet.requests)
    throttled = sum(r.throttled for r in fleet.requests)
    per_run = Counter(r.function for r in fleet.requests)

    assert row[:2] == ["6", "3"]
    assert row[3] == "6 / 0 (0)"
    assert row[4] == str(len(fleet.requests))
    assert float(row[5]) == pytest.approx(len(fleet.requests) / fleet.wall_s, abs=0.05)
    assert row[6] == f"{peak_in_window(times)} ({fleet.summary.peak_admitted_per_s})"
    assert row[7] == str(throttled)
    assert row[8] == f"{throttled / 6:.1f} / {max(fleet.per_run(throttled=True))}"
    assert row[9] == f"{len(fleet.requests) / 6:.1f} / {max(per_run[f'fleet-{i:04d}'] for i in range(6))}"
    account_wide = per_run.pop("")  # GetAccountSettings names no function
    assert set(per_run) == {f"fleet-{i:04d}" for i in range(6)}, "the others each name one run's target"
    assert account_wide == fleet.admitted()["GetAccountSettings"] + sum(
        r.throttled for r in fleet.requests if r.operation == "GetAccountSettings"
    )


@pytest.mark.slow
def test_the_notes_say_what_the_clock_is_and_what_a_deployment_would_refuse(fleet: FleetRun) -> None:
    said = "\n".join(notes([fleet]))
    assert "virtual time = real time x 1" in said
    assert "MaxValue" not in said
    above = TEMPLATE_MAX_CONCURRENCY + 1
    assert f"MaxValue {TEMPLATE_MAX_CONCURRENCY}" in "\n".join(
        notes([FleetRun(**{**fleet.__dict__, "concurrency": above})])
    )


def test_bad_arguments_are_refused_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--functions", "0"])
    assert "--functions: must be positive, not 0" in capsys.readouterr().err


def test_failures_are_grouped_by_error_and_those_from_throttling_are_counted_apart() -> None:
    throttled = "listing aliases of fleet-0001: throttled (TooManyRequestsException: Rate exceeded)"
    runs = [
        RunOutcome("fleet-0000", "SUCCEEDED"),
        RunOutcome("fleet-0001", "FAILED", "TargetThrottledError", throttled),
        RunOutcome("fleet-0002", "FAILED", "TargetThrottledError", throttled.replace("0001", "0002")),
        RunOutcome("fleet-0003", "FAILED", "Unknown", "the run failed without an error record"),
    ]
    fleet = FleetRun(4, 2, 1.0, 10.0, 1.0, "SUCCEEDED", {"tuned": 4}, runs, [], 2, Counter())

    assert (fleet.succeeded, fleet.failed(), fleet.failed(throttled=True)) == (1, 3, 2)
    assert fleet.failure_causes() == {
        "TargetThrottledError": (2, throttled),
        "Unknown": (1, "the run failed without an error record"),
    }
    assert cells(table([fleet]))[3] == "1 / 3 (2)"
    assert f"- 4 functions at 2: 2 runs failed with TargetThrottledError, e.g. {throttled}" in notes([fleet])
