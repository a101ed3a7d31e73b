"""ARNs and the other ways AWS names a resource, parsed in one place: Lambda functions (a full ARN, a partial
ARN, ``name`` or ``name:qualifier``), Step Functions state machines and executions, and any ARN's common parts."""

import re

from pydantic import BaseModel, ConfigDict, Field

_PARTITION = r"aws[a-zA-Z-]*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT = r"\d{12}"
_FUNCTION_NAME = r"[a-zA-Z0-9_-]{1,64}"
_FUNCTION_QUALIFIER = r"\$LATEST|[a-zA-Z0-9_-]{1,128}"
_STEP_FUNCTIONS_NAME = r"[^:\s]+"  # names cannot hold a colon; the rest of their rules are Step Functions'

_FUNCTION_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):lambda:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"function:(?P<name>{_FUNCTION_NAME})(?::(?P<qualifier>{_FUNCTION_QUALIFIER}))?$"
)
# What Lambda's FunctionName accepts: a full ARN, a partial ARN (account:function:name) or a name, each with an
# optional qualifier. A partial ARN needs its "function:" so that "123456789012:live" stays a name with a qualifier.
_FUNCTION_REFERENCE = re.compile(
    rf"^(?:(?:arn:(?P<partition>{_PARTITION}):lambda:(?P<region>{_REGION}):)?(?P<account>{_ACCOUNT}):function:)?"
    rf"(?P<name>{_FUNCTION_NAME})(?::(?P<qualifier>{_FUNCTION_QUALIFIER}))?$"
)
# Accounts are empty (S3) or "aws" (managed policies) for some services; resources may hold colons (alarm names).
_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[a-z0-9-]*):"
    r"(?P<resource>.+)$"
)
_STATE_MACHINE_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):states:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"stateMachine:(?P<name>{_STEP_FUNCTIONS_NAME})(?::(?P<qualifier>{_STEP_FUNCTIONS_NAME}))?$"
)
_EXECUTION_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):states:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"execution:(?P<state_machine>{_STEP_FUNCTIONS_NAME}):(?P<name>{_STEP_FUNCTIONS_NAME})$"
)


class FunctionRef(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    partition: str
    region: str
    account: str
    name: str
    qualifier: str | None = None

    @property
    def unqualified(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.name}"

    def qualified(self, qualifier: str) -> str:
        return f"{self.unqualified}:{qualifier}"

    @property
    def alias(self) -> str | None:
        """The alias the ARN names, if it names one (a version number or $LATEST is not an alias)."""
        if self.qualifier is None or self.qualifier == "$LATEST" or self.qualifier.isdigit():
            return None
        return self.qualifier

    @property
    def version(self) -> str | None:
        return self.qualifier if self.qualifier is not None and self.qualifier.isdigit() else None

    def __str__(self) -> str:
        return self.qualified(self.qualifier) if self.qualifier else self.unqualified


def parse_function_arn(text: str) -> FunctionRef:
    """Parse a Lambda function ARN; a ValueError says what is wrong with it."""
    match = _FUNCTION_ARN.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a Lambda function ARN "
            "(expected arn:aws:lambda:<region>:<12-digit account>:function:<name>[:<alias or version>])"
        )
    return FunctionRef(**match.groupdict())


class FunctionReference(BaseModel):
    """A function as Lambda's FunctionName names it; the parts its form leaves out are None (a partial ARN has
    an account but no region, a name has neither)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    name: str
    qualifier: str | None = None
    account: str | None = None
    region: str | None = None
    partition: str | None = None

    @property
    def arn(self) -> FunctionRef | None:
        """The full ARN, when the reference was one."""
        if self.partition is None or self.region is None or self.account is None:
            return None
        return FunctionRef(
            partition=self.partition, region=self.region, account=self.account, name=self.name, qualifier=self.qualifier
        )

    @property
    def unqualified(self) -> str:
        """The reference in its own form, without the qualifier."""
        if (arn := self.arn) is not None:
            return arn.unqualified
        return f"{self.account}:function:{self.name}" if self.account is not None else self.name

    @property
    def qualified_name(self) -> str:
        """``name`` or ``name:qualifier``: the same for every form that names the same function and qualifier."""
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name


def parse_function_reference(text: str) -> FunctionReference:
    """Parse a function name, ``name:qualifier``, partial ARN or full ARN, as Lambda's FunctionName accepts them;
    a ValueError says what is wrong."""
    match = _FUNCTION_REFERENCE.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a Lambda function name or ARN "
            "(expected <name>[:<alias or version>], <12-digit account>:function:<name>[:<alias or version>] "
            "or arn:aws:lambda:<region>:<12-digit account>:function:<name>[:<alias or version>])"
        )
    return FunctionReference(**match.groupdict())


def function_name_of(name_or_arn: str) -> str:
    """The bare function name in any form Lambda accepts (``orders`` for ``orders:live`` or a qualified ARN)."""
    return parse_function_reference(name_or_arn).name


class Arn(BaseModel):
    """The parts every ARN has; ``resource`` is the service's own part, colons and all."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str, *, service: str | None = None) -> Arn:
    """Parse any ARN (of ``service``, when given); a ValueError says what is wrong."""
    match = _ARN.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ARN (expected arn:<partition>:<service>:<region>:<account>:<resource>)")
    arn = Arn(**match.groupdict())
    if service is not None and arn.service != service:
        raise ValueError(f"{text!r} is not an ARN of {service} but of {arn.service}")
    return arn


class StateMachineArn(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    partition: str
    region: str
    account: str
    name: str
    qualifier: str | None = Field(default=None, description="a version number or an alias")

    def __str__(self) -> str:
        unqualified = f"arn:{self.partition}:states:{self.region}:{self.account}:stateMachine:{self.name}"
        return f"{unqualified}:{self.qualifier}" if self.qualifier else unqualified


def parse_state_machine_arn(text: str) -> StateMachineArn:
    """Parse a Step Functions state machine ARN (of a version or alias too); a ValueError says what is wrong."""
    match = _STATE_MACHINE_ARN.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a Step Functions state machine ARN")
    return StateMachineArn(**match.groupdict())


class ExecutionArn(BaseModel):
    """A standard workflow's execution (express executions have no ARN that DescribeExecution reads)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    partition: str
    region: str
    account: str
    state_machine_name: str
    name: str

    @property
    def state_machine(self) -> StateMachineArn:
        return StateMachineArn(
            partition=self.partition, region=self.region, account=self.account, name=self.state_machine_name
        )

    def __str__(self) -> str:
        return (
            f"arn:{self.partition}:states:{self.region}:{self.account}:execution:{self.state_machine_name}:{self.name}"
        )


def parse_execution_arn(text: str) -> ExecutionArn:
    """Parse a Step Functions execution ARN; a ValueError says what is wrong."""
    match = _EXECUTION_ARN.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a Step Functions execution ARN")
    fields = match.groupdict()
    return ExecutionArn(state_machine_name=fields.pop("state_machine"), **fields)
