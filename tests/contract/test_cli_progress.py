"""The CLI's progress line reads the tuner's history: the states it shows and where their failures go must be
the definition's own."""

import json
from pathlib import Path

from autotuner_cli.progress import FAILURE_PATH, SHOWN_AS, SHOWN_STATES

TUNER = json.loads((Path(__file__).resolve().parents[2] / "statemachine" / "tuner.asl.json").read_text())


def test_the_shown_states_exist_and_their_failures_go_to_the_failure_path() -> None:
    states = TUNER["States"]
    shown = {*SHOWN_STATES, *SHOWN_AS}
    assert shown <= set(states)
    assert set(SHOWN_AS.values()) <= set(SHOWN_STATES)
    catch_targets = {catch["Next"] for name in shown for catch in states[name].get("Catch", [])}
    assert catch_targets == FAILURE_PATH
    assert not FAILURE_PATH & {states[name].get("Next") for name in shown}  # never a success's next state
