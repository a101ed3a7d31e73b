"""The CDK construct (tools/autotuner_cdk) in a CDK user's app, synthesized by the npm aws-cdk CLI: the stack it
produces is SAM's translation of template.yaml, with the user's parameters and the functions' code as an asset."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from autotuner_local.iam import translate
from autotuner_local.template import load_template

pytestmark = [pytest.mark.tools, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BOUNDARY = "arn:aws:iam::111122223333:policy/org-boundary"
APP = """
import sys

import aws_cdk as cdk

from autotuner_cdk import LambdaAutotuner

app = cdk.App()
stack = cdk.Stack(app, "Tuning", env=cdk.Environment(account="111122223333", region="eu-west-1"))
parameters = {"LogRetentionInDays": 90, "PermissionsBoundary": "BOUNDARY"}
LambdaAutotuner(stack, "Tuner", code=sys.argv[1], parameters=parameters)
app.synth()
""".replace("BOUNDARY", BOUNDARY)


def _tool(variable: str, default: Path) -> str:
    path = os.environ.get(variable) or (str(default) if default.exists() else None)
    if not path:
        pytest.fail(f"{default.name} is not installed; run `make test`, which installs it")
    return path


def _environment() -> dict[str, str]:
    return os.environ | {
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",  # jsii's banners about the Node.js version
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def _built_code(directory: Path) -> Path:
    """A function's directory laid out as `sam build` writes it (synth stages it as the asset; nothing runs it)."""
    code = directory / "PlanFunction"
    shutil.copytree(ROOT / "src" / "autotuner", code / "autotuner", ignore=shutil.ignore_patterns("__pycache__"))
    for dependency in ("pydantic", "aws_lambda_powertools"):
        (code / dependency).mkdir()
        (code / dependency / "__init__.py").write_text("")
    return code


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("cdk")
    (directory / "app.py").write_text(APP)
    python = _tool("AUTOTUNER_CDK_PYTHON", ROOT / ".venv-cdk" / "bin" / "python")
    cdk = _tool("AUTOTUNER_CDK", ROOT / "node_modules" / ".bin" / "cdk")
    result = subprocess.run(
        [cdk, "synth", "--app", f"{python} app.py {_built_code(directory)}", "--output", "cdk.out", "--quiet",
         "--no-notices", "--no-version-reporting", "--no-lookups"],
        capture_output=True, text=True, check=False, cwd=directory, env=_environment(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    template: dict[str, Any] = json.loads((directory / "cdk.out" / "Tuning.template.json").read_text())
    return template


def test_the_stack_holds_what_sam_deploys(synthesized: dict[str, Any]) -> None:
    translated = translate(load_template(ROOT / "template.yaml"), {}, "eu-west-1")
    assert "Transform" not in synthesized, "already translated: CloudFormation needs no SAM transform"
    assert set(synthesized["Resources"]) - {"CDKMetadata"} == set(translated["Resources"])
    assert set(synthesized["Outputs"]) >= set(translated["Outputs"])
    assert set(synthesized["Rules"]) - {"CheckBootstrapVersion"} == set(translated["Rules"])


def test_the_parameters_given_are_applied_and_the_others_stay_parameters(synthesized: dict[str, Any]) -> None:
    declared = set(load_template(ROOT / "template.yaml")["Parameters"])
    assert set(synthesized["Parameters"]) - {"BootstrapVersion"} == declared - {
        "LogRetentionInDays",
        "PermissionsBoundary",
    }
    resources = synthesized["Resources"].values()
    groups = [r["Properties"]["RetentionInDays"] for r in resources if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) > 10
    assert {str(days) for days in groups} == {"90"}
    roles = [r for r in resources if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) > 15
    assert all(BOUNDARY in json.dumps(role["Properties"]["PermissionsBoundary"]) for role in roles)


def test_every_function_runs_the_code_asset(synthesized: dict[str, Any]) -> None:
    functions = [r for r in synthesized["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 16
    codes = {json.dumps(function["Properties"]["Code"], sort_keys=True) for function in functions}
    assert len(codes) == 1, "one asset, the same code for every function"
    (code,) = (json.loads(text) for text in codes)
    assert "cdk-" in json.dumps(code["S3Bucket"]), "the CDK bootstrap's asset bucket"
    assert str(code["S3Key"]).endswith(".zip")
    machines = [r for r in synthesized["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) == 2
    assert all("DefinitionString" in machine["Properties"] for machine in machines), "the definitions inline"


def test_code_that_sam_build_did_not_write_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    python = _tool("AUTOTUNER_CDK_PYTHON", ROOT / ".venv-cdk" / "bin" / "python")
    result = subprocess.run(
        [python, "app.py", str(ROOT / "src")], capture_output=True, text=True, check=False, cwd=tmp_path,
        env=_environment(),
    )  # fmt: skip
    assert result.returncode != 0
    assert "is not a function's directory as `sam build` writes it" in result.stderr
    assert "pydantic" in result.stderr
