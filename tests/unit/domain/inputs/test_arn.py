import pytest

from autotuner.domain.inputs.arn import (
    FunctionRef,
    FunctionReference,
    function_name_of,
    parse_arn,
    parse_execution_arn,
    parse_function_arn,
    parse_function_reference,
    parse_state_machine_arn,
)

ACCOUNT = "123456789012"
ORDERS = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"


@pytest.mark.parametrize(
    ("text", "name", "qualifier"),
    [
        (ORDERS, "orders", None),
        (f"{ORDERS}:live", "orders", "live"),
        (f"{ORDERS}:7", "orders", "7"),
        (f"{ORDERS}:$LATEST", "orders", "$LATEST"),
        (f" {ORDERS} ", "orders", None),
        (f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:orders", "orders", None),
        (f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT}:function:orders", "orders", None),
    ],
)
def test_function_arns_qualified_or_not(text: str, name: str, qualifier: str | None) -> None:
    arn = parse_function_arn(text)
    assert (arn.name, arn.qualifier) == (name, qualifier)
    assert str(arn) == text.strip()
    assert arn.unqualified == text.strip().removesuffix(f":{qualifier}" if qualifier else "")


def test_a_function_arn_tells_an_alias_from_a_version() -> None:
    assert (parse_function_arn(f"{ORDERS}:live").alias, parse_function_arn(f"{ORDERS}:live").version) == ("live", None)
    assert (parse_function_arn(f"{ORDERS}:7").alias, parse_function_arn(f"{ORDERS}:7").version) == (None, "7")
    assert parse_function_arn(f"{ORDERS}:$LATEST").alias is None


@pytest.mark.parametrize(
    "text",
    [
        "orders",
        f"{ACCOUNT}:function:orders",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:orders",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders:live:extra",
        "arn:aws:lambda:us-east-1:1234:function:orders",
        f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:orders",
        "",
    ],
)
def test_what_is_not_a_function_arn(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Lambda function ARN"):
        parse_function_arn(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders", FunctionReference(name="orders")),
        ("orders:live", FunctionReference(name="orders", qualifier="live")),
        ("orders:3", FunctionReference(name="orders", qualifier="3")),
        ("orders:$LATEST", FunctionReference(name="orders", qualifier="$LATEST")),
        (f"{ACCOUNT}:function:orders", FunctionReference(name="orders", account=ACCOUNT)),
        (f"{ACCOUNT}:function:orders:live", FunctionReference(name="orders", qualifier="live", account=ACCOUNT)),
        # a 12-digit name with a qualifier, not a partial ARN: those need "function:"
        (f"{ACCOUNT}:live", FunctionReference(name=ACCOUNT, qualifier="live")),
        ("function:live", FunctionReference(name="function", qualifier="live")),
        (
            ORDERS,
            FunctionReference(name="orders", account=ACCOUNT, region="us-east-1", partition="aws"),
        ),
        (
            f"{ORDERS}:live",
            FunctionReference(name="orders", qualifier="live", account=ACCOUNT, region="us-east-1", partition="aws"),
        ),
    ],
)
def test_function_references_in_every_form_lambda_accepts(text: str, expected: FunctionReference) -> None:
    assert parse_function_reference(text) == expected
    assert function_name_of(text) == expected.name


def test_a_reference_keeps_its_form_and_keys_the_same_function_alike() -> None:
    assert parse_function_reference("orders:live").unqualified == "orders"
    assert parse_function_reference(f"{ACCOUNT}:function:orders:live").unqualified == f"{ACCOUNT}:function:orders"
    assert parse_function_reference(f"{ORDERS}:live").unqualified == ORDERS
    assert parse_function_reference(f"{ORDERS}:live").arn == parse_function_arn(f"{ORDERS}:live")
    assert parse_function_reference(f"{ACCOUNT}:function:orders").arn is None
    assert parse_function_reference("orders").arn is None
    same = ["orders:live", f"{ACCOUNT}:function:orders:live", f"{ORDERS}:live"]
    assert {parse_function_reference(text).qualified_name for text in same} == {"orders:live"}
    assert parse_function_reference(ORDERS).qualified_name == "orders"


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":",
        "orders:",
        ":live",
        "my orders",
        "orders:live:extra",
        "o" * 65,
        f"function:orders:live:{ACCOUNT}",
        f"{ACCOUNT}:orders:live",  # a partial ARN without "function:"
        f"us-east-1:{ACCOUNT}:function:orders",  # a region without the arn: prefix
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:orders",
        "arn:aws:lambda:us-east-1:42:function:orders",
    ],
)
def test_what_lambda_would_not_take_for_a_function(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Lambda function name or ARN"):
        parse_function_reference(text)
    with pytest.raises(ValueError, match="is not a Lambda function name or ARN"):
        function_name_of(text)


def test_any_arn_in_its_common_parts() -> None:
    alarm = parse_arn(f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:orders:p95 latency", service="cloudwatch")
    assert (alarm.partition, alarm.service, alarm.region, alarm.account) == ("aws", "cloudwatch", "eu-west-1", ACCOUNT)
    assert alarm.resource == "alarm:orders:p95 latency"  # alarm names may hold colons
    assert parse_arn(f"arn:aws:sns:us-east-1:{ACCOUNT}:results").region == "us-east-1"
    assert parse_arn("arn:aws:s3:::bucket/key").account == ""
    assert parse_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").account == "aws"


@pytest.mark.parametrize(
    ("text", "service", "message"),
    [
        ("orders", None, "is not an ARN"),
        ("arn:aws:sns:us-east-1", None, "is not an ARN"),
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:", None, "is not an ARN"),
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:results", "cloudwatch", "is not an ARN of cloudwatch but of sns"),
    ],
)
def test_what_is_not_an_arn(text: str, service: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_arn(text, service=service)


def test_state_machine_arns_with_or_without_a_version_or_alias() -> None:
    plain = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:lambda-autotuner-tuner"
    machine = parse_state_machine_arn(plain)
    assert (machine.name, machine.region, machine.qualifier, str(machine)) == (
        "lambda-autotuner-tuner",
        "us-east-1",
        None,
        plain,
    )
    assert parse_state_machine_arn(f"{plain}:3").name == "lambda-autotuner-tuner"
    assert parse_state_machine_arn(f"{plain}:prod").qualifier == "prod"
    for wrong in ["lambda-autotuner-tuner", f"arn:aws:states:us-east-1:{ACCOUNT}:execution:m:run", f"{plain}:3:x"]:
        with pytest.raises(ValueError, match="is not a Step Functions state machine ARN"):
            parse_state_machine_arn(wrong)


def test_an_execution_arn_names_its_state_machine() -> None:
    text = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:lambda-autotuner-tuner:cli-orders-20260101T000000"
    execution = parse_execution_arn(text)
    assert (execution.state_machine_name, execution.name, str(execution)) == (
        "lambda-autotuner-tuner",
        "cli-orders-20260101T000000",
        text,
    )
    assert str(execution.state_machine) == f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:lambda-autotuner-tuner"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cli-orders-20260101T000000",
        f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:lambda-autotuner-tuner",
        f"arn:aws:states:us-east-1:{ACCOUNT}:execution:lambda-autotuner-tuner",
        f"arn:aws:states:us-east-1:{ACCOUNT}:express:lambda-autotuner-tuner:run:0f1e",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:execution:lambda-autotuner-tuner:run",
        f"arn:aws:states:us-east-1:{ACCOUNT}:execution:lambda-autotuner-tuner:run:extra",
    ],
)
def test_what_is_not_an_execution_arn(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Step Functions execution ARN"):
        parse_execution_arn(text)


def test_a_function_arn_is_built_from_its_parts() -> None:
    arn = FunctionRef(partition="aws", region="us-east-1", account=ACCOUNT, name="orders")
    assert (str(arn), arn.qualified("live")) == (ORDERS, f"{ORDERS}:live")
