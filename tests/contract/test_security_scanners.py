"""Security scanners nobody here wrote, in `make test`: checkov on template.yaml, on its SAM translation (what
CloudFormation deploys) and on templates/target-account-role.yaml; parliament on every IAM policy the stack
deploys, read back from the emulator's IAM after deploying it as CloudFormation would. A new finding fails here.

A check checkov should skip is skipped in the template, in the resource's Metadata, with a comment saying why; a
parliament finding that is the linter's own mistake is accepted below, with why."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autotuner.adapters.clients import forget_clients
from autotuner_local.accounts import account_session, deploy_target_account_role
from autotuner_local.iam import translate
from autotuner_local.stack import deploy
from autotuner_local.template import load_template

pytestmark = pytest.mark.tools

ROOT = Path(__file__).resolve().parents[2]
SCANNERS = ROOT / ".venv-scan" / "bin"
TARGET_ACCOUNT = "210987654321"
# A deployment that creates every policy the template can: cross-account (the AssumeRole policy), a payload bucket
# (S3 reads) and a pattern of its own.
EVERY_POLICY = {
    "TargetAccountRoleName": "lambda-autotuner-target",
    "TargetAccountIds": f"{TARGET_ACCOUNT},333344445555",
    "TargetAccountExternalId": "tuner-7f3c9a",
    "PayloadS3Bucket": "payloads",
    "TargetFunctionArnPattern": "arn:aws:lambda:us-east-1:*:function:*",
}

# Parliament's findings that are its own mistakes (its table of actions lags AWS's), by issue and action.
ACCEPTED = {
    ("RESOURCE_MISMATCH", "states:DescribeExecution"): "parliament knows only the express-execution ARN; AWS "
    "authorizes DescribeExecution of a standard execution on arn:...:execution:<machine>:<name>, which is granted",
    ("RESOURCE_MISMATCH", "states:ListExecutions"): "parliament knows only the map-run ARN; AWS authorizes "
    "ListExecutions of a state machine on the state machine's ARN, which is granted",
    ("RESOURCE_STAR", "cloudwatch:DescribeAlarms"): "CheckCanary reads the stack's opted-in alarms by name prefix "
    "and tag across the account; which alarms opt in is the operator's choice, not known when deploying",
}


def _scanner(variable: str, name: str) -> str:
    path = os.environ.get(variable) or (str(SCANNERS / name) if (SCANNERS / name).exists() else None)
    if not path:
        pytest.fail(f"{name} is not installed; run `make test`, which installs it")
    return path


def _checkov(template: Path) -> dict[str, Any]:
    result = subprocess.run(
        [_scanner("AUTOTUNER_CHECKOV", "checkov"), "--file", str(template), "--framework", "cloudformation",
         "--output", "json", "--quiet", "--skip-download"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    return dict(report[0] if isinstance(report, list) else report)


def _translated(directory: Path) -> Path:
    path = directory / "translated.json"
    translated = translate(load_template(ROOT / "template.yaml"), EVERY_POLICY, "us-east-1")
    path.write_text(json.dumps(translated, indent=1))
    return path


@pytest.mark.parametrize("which", ["template.yaml", "translated", "templates/target-account-role.yaml"])
def test_checkov_finds_nothing_and_every_skip_says_why(which: str, tmp_path: Path) -> None:
    template = _translated(tmp_path) if which == "translated" else ROOT / which
    report = _checkov(template)

    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"].get("failed_checks", [])]
    assert failed == [], "new findings: fix them, or skip them in the resource's Metadata saying why"
    unexplained = [(c["check_id"], c["resource"]) for c in report["results"].get("skipped_checks", [])
                   if len(str(c.get("suppress_comment") or "").strip()) < 20]  # fmt: skip
    assert unexplained == [], "every skipped check says why it does not apply"
    assert summary["passed"] > 0


@pytest.fixture
def deployed_policies(tmp_path: Path) -> Path:
    """Every permissions policy the stack deploys (inline and managed) and the target-account role's, as IAM
    holds them after a deployment, one file each."""
    with mock_aws():
        forget_clients()
        stack = deploy(parameters=EVERY_POLICY)
        trusted = stack.outputs["TargetAccountTrustedRoleArns"]
        deploy_target_account_role(TARGET_ACCOUNT, tuner_role_arns=trusted, external_id="tuner-7f3c9a")
        for account, iam in (("tuner", boto3.client("iam")), ("target", account_session(TARGET_ACCOUNT).client("iam"))):
            _write_policies(iam, tmp_path / account)
    forget_clients()
    return tmp_path


def _write_policies(iam: Any, directory: Path) -> None:
    directory.mkdir()
    for role in iam.list_roles()["Roles"]:
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
            (directory / f"{role['RoleName']}.{name}.json").write_text(json.dumps(document))
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        (directory / f"{policy['PolicyName']}.json").write_text(json.dumps(version["PolicyVersion"]["Document"]))


def test_parliament_finds_nothing_in_any_policy_the_stack_deploys(deployed_policies: Path) -> None:
    files = sorted(deployed_policies.rglob("*.json"))
    assert len(files) > 20, "the deployment's policies were read back"
    assert any("OwnFunctionsGuard" in f.name for f in files)
    assert any("TargetAccountAssume" in f.name for f in files)
    findings = []
    for directory in sorted({f.parent for f in files}):
        result = subprocess.run(
            [_scanner("AUTOTUNER_PARLIAMENT", "parliament"), "--directory", str(directory), "--json"],
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert result.returncode in {0, 1}, result.stderr  # 1: it found something
        findings += [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    new = [
        (finding["issue"], Path(finding["location"].get("filepath", "")).name, finding["detail"])
        for finding in findings
        if not all((finding["issue"], action) in ACCEPTED for action in _actions(finding))
    ]
    assert new == [], "new findings: fix the policy, or accept the finding above saying why"


def _actions(finding: dict[str, Any]) -> list[str]:
    """The actions a finding is about (its detail is a list of actions, or of {action, required_format})."""
    detail = finding.get("detail")
    if not isinstance(detail, list) or not detail:
        return [""]
    return [str(item["action"]) if isinstance(item, dict) else str(item) for item in detail]
