"""What the Serverless Application Repository and the CloudFormation console need from template.yaml: the
application's metadata agreeing with the package, and every parameter described, constrained and grouped."""

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from autotuner_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
PARAMETERS: dict[str, dict[str, Any]] = TEMPLATE["Parameters"]
APPLICATION: dict[str, Any] = TEMPLATE["Metadata"]["AWS::ServerlessRepo::Application"]
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CONSTRAINTS = {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue", "MinLength", "MaxLength"}


def test_the_application_metadata_agrees_with_the_package() -> None:
    assert APPLICATION["SemanticVersion"] == PROJECT["version"]
    assert APPLICATION["SpdxLicenseId"] == PROJECT["license"]
    assert (ROOT / APPLICATION["LicenseUrl"]).read_text().startswith(f"{PROJECT['license']} License")
    assert (ROOT / APPLICATION["ReadmeUrl"]).is_file()
    missing = {"Name", "Description", "Author", "Labels", "HomePageUrl", "SourceCodeUrl"} - set(APPLICATION)
    assert not missing


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_parameter_is_described_and_constrained(name: str) -> None:
    spec = PARAMETERS[name]
    assert spec.get("Description"), f"{name} has no Description"
    assert CONSTRAINTS & set(spec), f"{name} accepts anything: give it a pattern, values or bounds"


@pytest.mark.parametrize("name", sorted(p for p, spec in PARAMETERS.items() if "AllowedPattern" in spec))
def test_every_pattern_accepts_its_default(name: str) -> None:
    spec = PARAMETERS[name]
    assert re.fullmatch(spec["AllowedPattern"], str(spec["Default"]))


@pytest.mark.parametrize(
    ("name", "refused"),
    [("PowerValues", "128,,256"), ("PowerValues", "ALL"), ("NotificationEmail", "ops"),
     ("FleetSchedule", "every week"), ("WarmerSchedule", "5 minutes")],
)  # fmt: skip
def test_patterns_refuse_what_the_stack_could_not_use(name: str, refused: str) -> None:
    assert not re.fullmatch(PARAMETERS[name]["AllowedPattern"], refused)


def test_every_parameter_is_in_exactly_one_console_group() -> None:
    groups = TEMPLATE["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(PARAMETERS)
