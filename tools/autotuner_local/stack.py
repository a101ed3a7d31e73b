"""Deploying template.yaml into a local AWS emulator (moto), resource by resource, with the template's own
parameters, conditions, Globals and DefinitionSubstitutions. What the tests and the demo execute is therefore
what `sam deploy` creates: the same functions, handlers, environment, topic and state machine definition."""

import io
import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

from autotuner_local.iam import boundary_of, generated_role, translate
from autotuner_local.naming import SAM_TAGS, cloudformation_tags, generated_name
from autotuner_local.template import (
    Resolver,
    TemplateError,
    deployment_order,
    function_properties,
    load_template,
    placeholders,
    without_events,
)

# Symbolic links to the repository's template.yaml and statemachine/: the one source of truth, read here in a
# checkout, and copied into the package when it is built (pyproject.toml's package-data), so an installed
# `autotuner demo` deploys the same files.
TEMPLATE = Path(__file__).resolve().parent / "deployment" / "template.yaml"
LOCAL_ACCOUNT = "123456789012"
# What the emulator can create; after references, this order breaks ties.
DEPLOY_ORDER = (
    "AWS::Logs::LogGroup",
    "AWS::IAM::ManagedPolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::DynamoDB::Table",
    "AWS::Serverless::Function",
    "AWS::Serverless::StateMachine",
    "AWS::CloudWatch::Dashboard",
)


@dataclass(frozen=True)
class Delivery:
    """How a rule's target (EventBridge) or an asynchronous invocation (Lambda) is retried, and where what fails
    every attempt is kept (a queue's ARN; empty: dropped, as AWS drops it)."""

    retries: int
    dead_letter_arn: str = ""


@dataclass
class LocalStack:
    name: str
    region: str
    template_dir: Path
    stack_id: str = ""
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> function ARN
    function_environment: dict[str, dict[str, str]] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    topics: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    dashboards: dict[str, str] = field(default_factory=dict)  # logical id -> dashboard name
    rules: dict[str, str] = field(default_factory=dict)  # "Resource.Event" -> EventBridge rule name
    rule_targets: dict[str, str] = field(default_factory=dict)  # rule name -> the ARN it would invoke in AWS
    rule_inputs: dict[str, str] = field(default_factory=dict)  # rule name -> the constant input it sends, if any
    rule_delivery: dict[str, Delivery] = field(default_factory=dict)  # rule name -> its target's retries and DLQ
    async_delivery: dict[str, Delivery] = field(default_factory=dict)  # function ARN -> its EventInvokeConfig
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    alarms: dict[str, str] = field(default_factory=dict)  # logical id -> alarm name
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> why it was not created

    def logical_id_of(self, function_name: str) -> str | None:
        """The logical id of the stack's function named ``function_name`` (None: not one of the stack's)."""
        return next((logical for logical, arn in self.functions.items() if arn.split(":")[-1] == function_name), None)

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["StateMachineArn"]

    @property
    def topic_arn(self) -> str:
        return self.outputs["ResultsTopicArn"]


def deploy(
    *,
    template_path: Path = TEMPLATE,
    stack_name: str = "lambda-autotuner",
    parameters: dict[str, str] | None = None,
    region: str = "us-east-1",
) -> LocalStack:
    """Create the template's resources in the emulator that boto3 currently talks to."""
    template = load_template(template_path)
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": LOCAL_ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NoValue": "",
    }
    resolver = Resolver.for_template(template, parameters or {}, pseudo)
    resolver.check_rules()  # before the stack exists, as CloudFormation checks them
    resolver.pseudo["AWS::StackId"] = pseudo["AWS::StackId"] = _create_stack(stack_name, region)
    stack = LocalStack(
        name=stack_name, region=region, template_dir=template_path.parent, stack_id=pseudo["AWS::StackId"]
    )
    deployer = _Deployer(stack, template, resolver)
    deployer.deploy_all()
    stack.outputs = {name: str(resolver.resolve(spec["Value"])) for name, spec in template.get("Outputs", {}).items()}
    _register_outputs(stack)
    return stack


def _create_stack(name: str, region: str) -> str:
    """A CloudFormation stack of the name, so the CLI finds the local deployment (describe-stacks) as it finds a
    deployed one; its id is the stack id the template's resources get (AWS::StackId, their tags)."""
    body = {"Resources": {"Outputs": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    with warnings.catch_warnings():  # moto says it does not model the placeholder resource; it needs not
        warnings.simplefilter("ignore", UserWarning)
        client = boto3.session.Session(region_name=region).client("cloudformation")
        return str(client.create_stack(StackName=name, TemplateBody=json.dumps(body))["StackId"])


def _register_outputs(stack: LocalStack) -> None:
    """The stack's outputs, where describe-stacks reads them."""
    body = {
        "Resources": {"Outputs": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {name: {"Value": value} for name, value in stack.outputs.items()},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        boto3.session.Session(region_name=stack.region).client("cloudformation").update_stack(
            StackName=stack.name, TemplateBody=json.dumps(body)
        )


class _Deployer:
    def __init__(self, stack: LocalStack, template: dict[str, Any], resolver: Resolver) -> None:
        self.stack, self.template, self.resolver = stack, template, resolver
        session = boto3.session.Session(region_name=stack.region)
        # One client per service for the whole deployment: creating a client costs more than the call it makes.
        self.iam, self.sns, self.dynamodb = session.client("iam"), session.client("sns"), session.client("dynamodb")
        self.lambda_, self.stepfunctions = session.client("lambda"), session.client("stepfunctions")
        self.cloudwatch, self.events = session.client("cloudwatch"), session.client("events")
        self.sqs = session.client("sqs")
        self.role_arn = self._role()
        # What `sam deploy` deploys: each function's and state machine's role comes from SAM's transform.
        self.translated = translate(template, resolver.parameters, stack.region)
        self.event_sources: list[tuple[str, str]] = []  # functions whose events are deployed last

    def deploy_all(self) -> None:
        resources: dict[str, Any] = self.template["Resources"]
        unknown = {spec["Type"] for spec in resources.values()} - set(DEPLOY_ORDER)
        if unknown:
            raise TemplateError(f"the local emulator cannot deploy resource types {sorted(unknown)}")
        for logical_id in deployment_order(self.template, DEPLOY_ORDER):
            spec = resources[logical_id]
            condition = spec.get("Condition")
            if condition and not self.resolver.condition(condition):
                self.stack.skipped[logical_id] = f"condition {condition} is false"
                continue
            getattr(self, "_" + spec["Type"].split("::")[-1].lower())(logical_id, spec)
        for logical_id, arn in self.event_sources:  # SAM makes them separate resources, created after both ends
            events = function_properties(self.template, logical_id).get("Events", {})
            self._events(logical_id, self.resolver.resolve(events), arn)

    def _physical_name(self, logical_id: str, limit: int = 64) -> str:
        """The name CloudFormation generates for a resource the template does not name (see local.naming)."""
        return generated_name(self.stack.name, logical_id, region=self.stack.region, limit=limit)

    def _tags(self, logical_id: str) -> dict[str, str]:
        return cloudformation_tags(self.stack.name, self.stack.stack_id, logical_id)

    def _role(self) -> str:
        name = f"{self.stack.name}-local-role"
        statement = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        trust = {"Version": "2012-10-17", "Statement": [statement]}
        try:
            return str(self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
        except self.iam.exceptions.EntityAlreadyExistsException:
            return str(self.iam.get_role(RoleName=name)["Role"]["Arn"])

    def _generated_role(self, logical_id: str) -> str:
        """The role SAM generates for the resource, with its inline policies resolved against the stack; the
        AWS managed policies SAM attaches (logs, X-Ray) are not in moto, and nothing here calls those APIs."""
        role = generated_role(self.translated, logical_id)
        if role is None:
            return self.role_arn
        name = self._physical_name(role.logical_id)
        trust = self.resolver.resolve(role.assume_role_policy)
        boundary = boundary_of(
            self.resolver.resolve({"PermissionsBoundary": role.properties.get("PermissionsBoundary")})
        )
        try:
            created = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **boundary)
            arn = str(created["Role"]["Arn"])
        except self.iam.exceptions.EntityAlreadyExistsException:
            arn = str(self.iam.get_role(RoleName=name)["Role"]["Arn"])
        for policy in self.resolver.resolve(role.policies):
            # SAM leaves Version out of inline statements (IAM then reads them as 2008-10-17); moto requires it.
            document = {"Version": "2012-10-17"} | policy["PolicyDocument"]
            self.iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        for policy_arn in self.resolver.resolve(role.managed_policy_arns):
            if f":iam::{LOCAL_ACCOUNT}:policy/" in policy_arn:  # the stack's own; AWS's (logs, X-Ray) are not in moto
                self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        self.resolver.attributes[(role.logical_id, "Arn")] = arn
        return arn

    def _loggroup(self, logical_id: str, _spec: dict[str, Any]) -> None:
        name = f"/{self.stack.name}/{logical_id}"
        self.resolver.refs[logical_id] = name
        arn = f"arn:aws:logs:{self.stack.region}:{LOCAL_ACCOUNT}:log-group:{name}:*"
        self.resolver.attributes[(logical_id, "Arn")] = arn

    def _managedpolicy(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec["Properties"])
        name = properties.get("ManagedPolicyName") or self._physical_name(logical_id, 128)
        arn = self.iam.create_policy(
            PolicyName=name,
            PolicyDocument=json.dumps(properties["PolicyDocument"]),
            Description=str(properties.get("Description", ""))[:1000],
        )["Policy"]["Arn"]
        self.resolver.refs[logical_id] = arn

    def _topic(self, logical_id: str, _spec: dict[str, Any]) -> None:
        name = self._physical_name(logical_id, 256)
        arn = self.sns.create_topic(Name=name)["TopicArn"]
        self.resolver.refs[logical_id] = arn
        self.resolver.attributes[(logical_id, "TopicName")] = name
        self.resolver.attributes[(logical_id, "TopicArn")] = arn
        self.stack.topics[logical_id] = arn

    def _subscription(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec.get("Properties", {}))
        if properties.get("Protocol") == "email":
            self.stack.skipped[logical_id] = "e-mail subscriptions need a person to confirm them"
            return
        self.sns.subscribe(
            TopicArn=properties["TopicArn"], Protocol=properties["Protocol"], Endpoint=properties["Endpoint"]
        )

    def _topicpolicy(self, logical_id: str, _spec: dict[str, Any]) -> None:
        self.stack.skipped[logical_id] = "the emulator does not enforce resource policies"

    def _queuepolicy(self, logical_id: str, spec: dict[str, Any]) -> None:
        self._topicpolicy(logical_id, spec)

    def _queue(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec.get("Properties", {}))
        name = properties.get("QueueName") or self._physical_name(logical_id, 80)
        attributes: dict[QueueAttributeNameType, str] = {}
        if "MessageRetentionPeriod" in properties:
            attributes["MessageRetentionPeriod"] = str(properties["MessageRetentionPeriod"])
        if "SqsManagedSseEnabled" in properties:
            attributes["SqsManagedSseEnabled"] = str(properties["SqsManagedSseEnabled"]).lower()
        sqs = self.sqs
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.resolver.refs[logical_id] = url
        self.resolver.attributes[(logical_id, "Arn")] = arn
        self.resolver.attributes[(logical_id, "QueueName")] = name
        self.stack.queues[logical_id] = url

    def _alarm(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec["Properties"])
        name = properties.get("AlarmName") or self._physical_name(logical_id, 255)
        keys = ("AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
                "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions")  # fmt: skip
        arguments: dict[str, Any] = {key: properties[key] for key in keys if key in properties}
        for key in ("Period", "EvaluationPeriods"):
            arguments[key] = int(arguments[key])
        arguments["Threshold"] = float(arguments["Threshold"])
        self.cloudwatch.put_metric_alarm(AlarmName=name, **arguments)
        self.resolver.refs[logical_id] = name
        self.stack.alarms[logical_id] = name

    def _table(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec.get("Properties", {}))
        name = properties.get("TableName") or self._physical_name(logical_id, 255)
        arguments: dict[str, Any] = {
            "TableName": name,
            "KeySchema": properties["KeySchema"],
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in properties:
            arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
        if "SSESpecification" in properties:
            arguments["SSESpecification"] = {"Enabled": properties["SSESpecification"].get("SSEEnabled", False)}
        arn = self.dynamodb.create_table(**arguments)["TableDescription"]["TableArn"]
        if "TimeToLiveSpecification" in properties:
            self.dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
            )
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = arn
        self.stack.tables[logical_id] = name

    def _function(self, logical_id: str, _spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(without_events(function_properties(self.template, logical_id)))
        name = self._physical_name(logical_id)
        environment = {k: str(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()}
        response = self.lambda_.create_function(
            FunctionName=name,
            Runtime=properties["Runtime"],
            Role=self._generated_role(logical_id),
            Handler=properties["Handler"],
            Code={"ZipFile": placeholder_code()},
            MemorySize=int(properties.get("MemorySize", 128)),
            Timeout=int(properties.get("Timeout", 3)),
            Architectures=properties.get("Architectures", ["x86_64"]),
            Environment={"Variables": environment},
            Description=str(properties.get("Description", ""))[:256],
            Tags=self._tags(logical_id) | SAM_TAGS | properties.get("Tags", {}),
        )
        arn = response["FunctionArn"]
        invoke_config = properties.get("EventInvokeConfig")
        if invoke_config is not None:  # asynchronous invocations: Lambda's own retries, then the failure destination
            on_failure = invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination", "")
            self.stack.async_delivery[arn] = Delivery(int(invoke_config.get("MaximumRetryAttempts", 2)), on_failure)
        if "ReservedConcurrentExecutions" in properties:
            self.lambda_.put_function_concurrency(
                FunctionName=name, ReservedConcurrentExecutions=int(properties["ReservedConcurrentExecutions"])
            )
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = arn
        self.stack.functions[logical_id] = arn
        self.stack.function_environment[logical_id] = environment
        self.event_sources.append((logical_id, arn))

    def _statemachine(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = spec["Properties"]
        definition = (self.stack.template_dir / properties["DefinitionUri"]).read_text()
        substitutions = {
            k: str(self.resolver.resolve(v)) for k, v in properties.get("DefinitionSubstitutions", {}).items()
        }
        missing = placeholders(definition) - set(substitutions)
        if missing:
            raise TemplateError(
                f"{properties['DefinitionUri']} expects substitutions the template lacks: {sorted(missing)}"
            )
        for name, value in substitutions.items():
            definition = definition.replace("${" + name + "}", value)
        json.loads(definition)  # a substitution that breaks the JSON fails here, not in an execution
        name = str(self.resolver.resolve(properties.get("Name", self._physical_name(logical_id, 80))))
        arn = self.stepfunctions.create_state_machine(
            name=name,
            definition=definition,
            roleArn=self._generated_role(logical_id),
            type=properties.get("Type", "STANDARD"),
        )["stateMachineArn"]
        self.resolver.refs[logical_id] = arn
        self.resolver.attributes[(logical_id, "Name")] = name
        self.resolver.attributes[(logical_id, "Arn")] = arn
        self.stack.state_machines[logical_id] = arn
        self._events(logical_id, self.resolver.resolve(properties.get("Events", {})), arn)

    def _dashboard(self, logical_id: str, spec: dict[str, Any]) -> None:
        properties = self.resolver.resolve(spec["Properties"])
        name = str(properties.get("DashboardName") or self._physical_name(logical_id, 255))
        body = str(properties["DashboardBody"])
        json.loads(body)  # a substitution that breaks the JSON fails here, as CloudWatch would refuse the body
        self.cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
        self.resolver.refs[logical_id] = name
        self.stack.dashboards[logical_id] = name

    def _events(self, logical_id: str, events: dict[str, Any], target_arn: str) -> None:
        """A SAM resource's event sources: EventBridge rules and schedules (with the resource as target), SNS."""
        for event_name, event in events.items():
            kind, properties = event["Type"], event.get("Properties", {})
            if kind == "SNS":
                self.sns.subscribe(TopicArn=properties["Topic"], Protocol="lambda", Endpoint=target_arn)
                continue
            if kind not in {"EventBridgeRule", "Schedule"}:
                raise TemplateError(f"{logical_id}.{event_name}: the local emulator cannot deploy {kind} events")
            rule = self._physical_name(f"{logical_id}{event_name}")  # SAM's rule: <resource><event>
            arguments: dict[str, Any] = {"Name": rule, "State": properties.get("State", "ENABLED")}
            if kind == "Schedule":
                arguments["ScheduleExpression"] = properties["Schedule"]
            else:
                arguments["EventPattern"] = json.dumps(properties["Pattern"])
            self.events.put_rule(**arguments)
            # No target is attached: moto cannot deliver to Lambda or Step Functions (and fails a put_events that
            # matches such a target); local.events delivers as EventBridge does. Tests attach an SQS probe to check
            # the pattern instead.
            self.stack.rules[f"{logical_id}.{event_name}"] = rule
            self.stack.rule_targets[rule] = target_arn
            if "Input" in properties:
                self.stack.rule_inputs[rule] = str(properties["Input"])
            retries = int(properties.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185))  # AWS's default
            self.stack.rule_delivery[rule] = Delivery(retries, properties.get("DeadLetterConfig", {}).get("Arn", ""))


def placeholder_code() -> bytes:
    """Functions run in-process (see local.runtime); the emulator only needs some code to hold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Run in-process by autotuner_local.runtime.")
    return buffer.getvalue()
