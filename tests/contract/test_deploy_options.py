"""The deploy options organisations require (a permissions boundary, a VPC, a log retention), checked on SAM's
translation of template.yaml: what CloudFormation deploys, every role, function and log group SAM generates
included, not only those the template spells out."""

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autotuner.adapters.clients import forget_clients
from autotuner_local.accounts import account_session, deploy_target_account_role
from autotuner_local.iam import Decision, Request, decide, generated_role, translate
from autotuner_local.stack import deploy
from autotuner_local.template import Resolver, TemplateError, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "AWS::StackName": "tuner",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/tuner/5b6c7d8e",
}
TARGET_ACCOUNT = "210987654321"
BOUNDARY = "arn:aws:iam::111122223333:policy/org-boundary"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
SECURITY_GROUPS = ["sg-0123456789abcdef0"]
IN_VPC = {"SubnetIds": ",".join(SUBNETS), "SecurityGroupIds": ",".join(SECURITY_GROUPS)}
# CloudWatch Logs' retention periods (PutRetentionPolicy's retentionInDays).
CLOUDWATCH_RETENTIONS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                         2922, 3288, 3653]  # fmt: skip
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


class Translation:
    """SAM's translation of template.yaml for some parameters, its intrinsics resolvable (each resource's Ref is
    ``<LogicalId>``, each attribute ``<LogicalId.Attribute>``)."""

    def __init__(self, parameters: dict[str, str]) -> None:
        self.template = translate(TEMPLATE, parameters, PSEUDO["AWS::Region"])
        self.resources: dict[str, Any] = self.template["Resources"]
        self.resolver = Resolver.for_template(self.template, parameters, PSEUDO)
        for name in self.resources:
            self.resolver.refs[name] = f"<{name}>"
            for attribute in ("Arn", "Name", "TopicName", "QueueName"):
                self.resolver.attributes[(name, attribute)] = f"<{name}.{attribute}>"

    def of_type(self, resource_type: str) -> list[str]:
        return resources_of_type(self.template, resource_type)

    def property(self, logical_id: str, name: str) -> Any:
        """The resource's property, resolved; None when absent or AWS::NoValue."""
        return self.resolver.resolve(self.resources[logical_id]["Properties"]).get(name)

    def role_documents(self, function: str) -> list[dict[str, Any]]:
        """The permissions documents of the function's role that the stack itself defines (inline and its own
        managed policies; AWS's managed policies are ARNs only)."""
        role = generated_role(self.template, function)
        assert role is not None, f"{function}: SAM generates its role"
        documents = [policy["PolicyDocument"] for policy in self.resolver.resolve(role.policies)]
        for arn in self.resolver.resolve(role.managed_policy_arns):
            if arn.startswith("<"):
                documents.append(self.property(arn.strip("<>"), "PolicyDocument"))
        return documents


@pytest.fixture(scope="module")
def default() -> Translation:
    return Translation({})


@pytest.fixture(scope="module")
def every_option() -> Translation:
    return Translation({"PermissionsBoundary": BOUNDARY, "LogRetentionInDays": "90"} | IN_VPC)


def test_every_role_the_stack_creates_has_the_boundary_given(every_option: Translation) -> None:
    roles = every_option.of_type("AWS::IAM::Role")
    assert len(roles) >= len(every_option.of_type("AWS::Lambda::Function")) + 2, "the functions' and machines' roles"
    assert {role: every_option.property(role, "PermissionsBoundary") for role in roles} == dict.fromkeys(
        roles, BOUNDARY
    )


def test_no_role_has_a_boundary_by_default(default: Translation) -> None:
    roles = default.of_type("AWS::IAM::Role")
    assert [role for role in roles if default.property(role, "PermissionsBoundary") is not None] == []


@pytest.mark.parametrize("boundary", ["", BOUNDARY])
def test_the_target_account_role_has_the_boundary_given(boundary: str) -> None:
    template = load_template(ROOT / "templates" / "target-account-role.yaml")
    overrides = {"TunerAccountId": "111122223333", "TunerRoleArns": "arn:aws:iam::111122223333:role/r",
                 "ExternalId": "tuner-7f3c9a"} | ({"PermissionsBoundary": boundary} if boundary else {})  # fmt: skip
    resolver = Resolver.for_template(template, overrides, PSEUDO | {"AWS::AccountId": TARGET_ACCOUNT})
    roles = resources_of_type(template, "AWS::IAM::Role")
    assert roles, "the template creates a role"
    boundaries = [
        resolver.resolve(template["Resources"][role]["Properties"]).get("PermissionsBoundary") for role in roles
    ]
    assert boundaries == [boundary or None] * len(roles)


def test_every_function_runs_in_the_vpc_given(every_option: Translation) -> None:
    functions = every_option.of_type("AWS::Lambda::Function")
    expected = {"SubnetIds": SUBNETS, "SecurityGroupIds": SECURITY_GROUPS}
    assert {f: every_option.property(f, "VpcConfig") for f in functions} == dict.fromkeys(functions, expected)


def test_no_function_runs_in_a_vpc_by_default(default: Translation) -> None:
    functions = default.of_type("AWS::Lambda::Function")
    assert len(functions) > 10
    assert [f for f in functions if default.property(f, "VpcConfig") is not None] == []


@pytest.mark.parametrize("in_vpc", [True, False], ids=["in a VPC", "outside"])
def test_a_function_may_create_network_interfaces_only_in_a_vpc(
    in_vpc: bool, default: Translation, every_option: Translation
) -> None:
    """SAM attaches AWS's AWSLambdaVPCAccessExecutionRole to every function (it cannot tell that VpcConfig's !If
    is false): in a VPC that is what Lambda needs to place the function; outside one, the stack denies creating
    interfaces, and leaves deleting them to Lambda's clean-up of a VPC configuration removed."""
    translation = every_option if in_vpc else default
    creating = Request("ec2:CreateNetworkInterface", "*")
    for function in translation.of_type("AWS::Lambda::Function"):
        role = generated_role(translation.template, function)
        assert role is not None
        assert VPC_ACCESS_POLICY in role.managed_policy_arns, f"{function}: SAM attaches AWS's VPC access policy"
        documents = translation.role_documents(function)
        denied = decide(documents, creating) is Decision.EXPLICITLY_DENIED
        assert denied is not in_vpc, f"{function}: creating interfaces {'denied' if denied else 'allowed'}"
        assert decide(documents, Request("ec2:DeleteNetworkInterface", "*")) is not Decision.EXPLICITLY_DENIED


@pytest.mark.parametrize(
    ("given", "refused"),
    [({}, None), (IN_VPC, None),
     ({"SubnetIds": IN_VPC["SubnetIds"]}, "SecurityGroupIds must be given with SubnetIds"),
     ({"SecurityGroupIds": IN_VPC["SecurityGroupIds"]}, "SubnetIds must be given with SecurityGroupIds")],
    ids=["neither", "both", "subnets only", "security groups only"],
)  # fmt: skip
def test_subnets_and_security_groups_are_given_both_or_neither(given: dict[str, str], refused: str | None) -> None:
    resolver = Resolver.for_template(TEMPLATE, given, PSEUDO)
    if refused is None:
        resolver.check_rules()
    else:
        with pytest.raises(TemplateError, match=refused):
            resolver.check_rules()


def test_every_log_group_keeps_its_logs_the_days_given(default: Translation, every_option: Translation) -> None:
    for translation, days in ((default, TEMPLATE["Parameters"]["LogRetentionInDays"]["Default"]), (every_option, 90)):
        groups = translation.of_type("AWS::Logs::LogGroup")
        assert len(groups) > 10
        assert {g: translation.property(g, "RetentionInDays") for g in groups} == dict.fromkeys(groups, str(days))


def test_the_retention_is_one_cloudwatch_allows() -> None:
    assert TEMPLATE["Parameters"]["LogRetentionInDays"]["AllowedValues"] == CLOUDWATCH_RETENTIONS


def test_every_function_and_state_machine_logs_to_a_group_of_the_stack(default: Translation) -> None:
    """Lambda creates /aws/lambda/<name>, kept forever, for a function that names no log group of its own."""
    groups = {f"<{g}>" for g in default.of_type("AWS::Logs::LogGroup")}
    functions = default.of_type("AWS::Lambda::Function")
    logged_to = {f: (default.property(f, "LoggingConfig") or {}).get("LogGroup") for f in functions}
    assert {f: group for f, group in logged_to.items() if group not in groups} == {}
    for machine in default.of_type("AWS::StepFunctions::StateMachine"):
        logging = default.property(machine, "LoggingConfiguration") or {}
        destinations = [d["CloudWatchLogsLogGroup"]["LogGroupArn"] for d in logging.get("Destinations", [])]
        assert [d for d in destinations if d.removesuffix(".Arn>") + ">" not in groups] == [], machine


def test_the_emulator_deploys_the_stack_with_every_option() -> None:
    """It accepts the options (it runs no VPC) and creates the roles with their boundary, as IAM holds them."""
    with mock_aws():
        forget_clients()
        iam = boto3.client("iam", region_name="us-east-1")
        boundary = iam.create_policy(PolicyName="org-boundary", PolicyDocument='{"Version": "2012-10-17", '
                                     '"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')  # fmt: skip
        arn = boundary["Policy"]["Arn"]
        stack = deploy(parameters={"PermissionsBoundary": arn, "LogRetentionInDays": "90"} | IN_VPC)
        target = deploy_target_account_role(
            TARGET_ACCOUNT,
            tuner_role_arns=stack.outputs["TargetAccountTrustedRoleArns"],
            external_id="tuner-7f3c9a",
            parameters={"PermissionsBoundary": arn},
        )
        roles = [role for role in iam.list_roles()["Roles"] if not role["RoleName"].endswith("-local-role")]
        boundaries = {
            r["RoleName"]: iam.get_role(RoleName=r["RoleName"])["Role"].get("PermissionsBoundary") for r in roles
        }
        target_iam = account_session(TARGET_ACCOUNT).client("iam")
        boundaries[target.role_name] = target_iam.get_role(RoleName=target.role_name)["Role"].get("PermissionsBoundary")
    forget_clients()
    assert len(boundaries) >= len(stack.functions) + len(stack.state_machines)
    assert {name: (b or {}).get("PermissionsBoundaryArn") for name, b in boundaries.items()} == dict.fromkeys(
        boundaries, arn
    )
