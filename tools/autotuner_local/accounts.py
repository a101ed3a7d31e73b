"""Other accounts in the local emulator: moto keeps each account's resources apart, keyed by the account id that a
request's credentials belong to, and credentials from STS AssumeRole of a role in account B act in account B.

``account_session`` gives the person at the console a session in another account; ``deploy_target_account_role``
creates there what templates/target-account-role.yaml creates (its one role, with its trust and permissions
policies resolved exactly as CloudFormation would).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import boto3

from autotuner_local.iam import boundary_of
from autotuner_local.stack import LOCAL_ACCOUNT, TEMPLATE
from autotuner_local.template import Resolver, TemplateError, load_template

# Beside the stack's template, in a checkout and in the installed package alike (see pyproject.toml's package-data).
TARGET_ACCOUNT_ROLE_TEMPLATE = TEMPLATE.parent / "templates" / "target-account-role.yaml"
_OPERATOR_ROLE = "local-operator"  # moto lets any role be assumed; this one names the person at the console


def account_session(account: str, region: str = "us-east-1") -> boto3.session.Session:
    """A session acting in ``account`` (as the operator: calls outside a handler are not checked)."""
    if account == LOCAL_ACCOUNT:
        return boto3.session.Session(region_name=region)
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{_OPERATOR_ROLE}", RoleSessionName="operator"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@dataclass(frozen=True)
class TargetAccountRole:
    account: str
    role_name: str
    role_arn: str


def deploy_target_account_role(
    account: str,
    *,
    tuner_role_arns: str,
    external_id: str,
    tuner_account: str = LOCAL_ACCOUNT,
    parameters: dict[str, str] | None = None,
    region: str = "us-east-1",
    template_path: Path = TARGET_ACCOUNT_ROLE_TEMPLATE,
) -> TargetAccountRole:
    """Create the template's role in ``account``, with its parameters as given: the roles it trusts (the tuner
    stack's TargetAccountTrustedRoleArns output), the external id they must present, and the tuner's account."""
    template = load_template(template_path)
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws", "AWS::NoValue": ""}
    overrides = {"TunerAccountId": tuner_account, "TunerRoleArns": tuner_role_arns, "ExternalId": external_id}
    overrides |= parameters or {}
    resolver = Resolver.for_template(template, overrides, pseudo)
    resources = template["Resources"]
    if {spec["Type"] for spec in resources.values()} != {"AWS::IAM::Role"} or len(resources) != 1:
        raise TemplateError(f"{template_path.name}: the emulator deploys exactly one AWS::IAM::Role from it")
    (properties,) = (resolver.resolve(spec["Properties"]) for spec in resources.values())
    iam = account_session(account, region).client("iam")
    role = iam.create_role(
        RoleName=properties["RoleName"],
        AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
        MaxSessionDuration=int(properties.get("MaxSessionDuration", 3600)),
        **boundary_of(properties),
    )["Role"]
    for policy in properties.get("Policies", []):
        iam.put_role_policy(
            RoleName=properties["RoleName"],
            PolicyName=policy["PolicyName"],
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    return TargetAccountRole(account=account, role_name=str(role["RoleName"]), role_arn=str(role["Arn"]))
