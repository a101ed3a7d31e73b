"""A handler's import is its Lambda's cold start: it loads its own step and what every step shares, and leaves the
SDKs and the other steps to the first call that needs them (each import is checked in a fresh interpreter)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.domain.test_architecture import SHARED_BY_STEPS

HANDLERS = Path(__file__).resolve().parents[3] / "src" / "autotuner" / "handlers"
ENTRY_POINTS = sorted(
    p.stem
    for p in HANDLERS.glob("*.py")
    if "@observed" in p.read_text()  # the modules template.yaml names as handlers
)
# Imported on first use only: boto3 and botocore's sessions by the first client, the X-Ray SDK by the first traced
# call, Powertools' event models by the first event that needs them; the emulator never by deployed code.
LOADED_ON_FIRST_USE = [
    "boto3",
    "botocore.session",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.utilities.parser.models",
    "moto",
    "autotuner_local",
]


def loaded_by_importing(module: str) -> set[str]:
    listing = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True)
    return set(json.loads(completed.stdout))


def steps_imported_by(handler: str) -> set[str]:
    tree = ast.parse((HANDLERS / f"{handler}.py").read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autotuner.workflow.")
    }


def test_the_entry_points_are_found() -> None:
    assert {"plan", "measure", "alarm", "cleanup", "savings_widget"} <= set(ENTRY_POINTS)


@pytest.mark.parametrize("handler", ENTRY_POINTS)
def test_a_handler_imports_no_sdk_client_and_no_step_it_does_not_run(handler: str) -> None:
    loaded = loaded_by_importing(f"autotuner.handlers.{handler}")
    heavy = [m for m in LOADED_ON_FIRST_USE if m in loaded]
    assert not heavy, f"importing autotuner.handlers.{handler} loads {heavy}; import them where first used"
    own = steps_imported_by(handler) | {f"autotuner.workflow.{m}" for m in SHARED_BY_STEPS}
    others = sorted(m for m in loaded if m.startswith("autotuner.workflow.") and m not in own)
    assert not others, f"importing autotuner.handlers.{handler} loads other steps: {others}"
