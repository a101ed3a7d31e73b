"""What the state machines pass each Lambda task, read from statemachine/*.asl.json (the one source of truth):
a task's Parameters (or its Map's ItemSelector) resolved against the state's input and the context object, and its
result placed at its ResultPath."""

import json
from pathlib import Path
from typing import Any

STATE_MACHINES = Path(__file__).resolve().parents[3] / "statemachine"


def _states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(definition["States"])
    for state in definition["States"].values():
        if "ItemProcessor" in state:
            found |= _states(state["ItemProcessor"])
    return found


TUNER = _states(json.loads((STATE_MACHINES / "tuner.asl.json").read_text()))
FLEET = _states(json.loads((STATE_MACHINES / "fleet.asl.json").read_text()))


def resolve(template: dict[str, Any], document: Any, context: dict[str, Any]) -> dict[str, Any]:
    """A Parameters or ItemSelector block: "key.$" fields are paths into the input ($) or the context ($$)."""
    resolved: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            resolved[key.removesuffix(".$")] = read_path(value, document, context)
        else:
            resolved[key] = resolve(value, document, context) if isinstance(value, dict) else value
    return resolved


def read_path(path: str, document: Any, context: dict[str, Any]) -> Any:
    found: Any = context if path.startswith("$$") else document
    for part in path.lstrip("$").split("."):
        if part:
            key, _, index = part.partition("[")  # a list item: "tasks[0]"
            found = found[key]
            if index:
                found = found[int(index.removesuffix("]"))]
    return found


def place(document: dict[str, Any], result_path: str, result: Any) -> Any:
    """The state's output: its result at ResultPath ("$" replaces the input; the tuner uses one level below)."""
    if result_path == "$":
        return result
    return {**document, result_path.removeprefix("$."): result}


def retried_errors(state: dict[str, Any]) -> set[str]:
    """The error names a state's Retry matches (what a handler raises is matched by its exception class name)."""
    return {name for retry in state.get("Retry", []) for name in retry["ErrorEquals"]}
