"""The adapters against moto: every boto3 call of the product, with the faults they must absorb."""

import json
from typing import Any

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError

from autotuner.adapters.errors import (
    PayloadNotFoundError,
    TargetNotFoundError,
    TargetThrottledError,
    UpdateConflictError,
)
from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.notifications import TopicNotifier
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import TargetChangedError
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.measuring.lambda_logs import decode_log_result, parse_log_tail
from autotuner.handlers import wiring
from autotuner_local.runtime import InProcessRuntime, ThrottledError
from tests.emulator import MakeTarget, conflict, failing


def control(arn: str, sleeps: list[float] | None = None) -> LambdaFunction:
    record = sleeps if sleeps is not None else []
    return LambdaFunction(parse_function_arn(arn), sleep=record.append)


def test_configuration_reads_what_the_run_must_restore(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    arn = make_target("f", memory_mb=640, timeout_s=12, architecture="arm64", description="v7")
    configuration = control(arn).configuration()
    assert (configuration.memory_mb, configuration.timeout_s, configuration.description) == (640, 12, "v7")
    assert configuration.architecture is Architecture.ARM64
    assert configuration.ephemeral_storage_mb == 512
    assert configuration.code_sha256


def test_a_missing_function_is_named_in_the_error(runtime: InProcessRuntime) -> None:
    with pytest.raises(TargetNotFoundError, match="function ghost in us-east-1: not found"):
        control("arn:aws:lambda:us-east-1:123456789012:function:ghost").configuration()


def test_publish_alias_list_and_delete(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    function = control(make_target("f", memory_mb=1024))
    function.update(memory_mb=512, description="autotuner run r1: measure 512 MB")
    first = function.publish_version("autotuner run r1: measure 512 MB")
    function.point_alias("at-r1-512", first.version)
    function.update(memory_mb=768, description="autotuner run r1: measure 768 MB")
    second = function.publish_version("autotuner run r1: measure 768 MB")
    function.point_alias("at-r1-512", second.version)  # moving an existing alias

    assert function.aliases() == {"at-r1-512": second.version}
    assert [v.version for v in function.versions()] == [first.version, second.version]
    assert function.configuration(second.version).memory_mb == 768
    function.delete_alias("at-r1-512")
    function.delete_alias("at-r1-512")  # already gone: no error, so clean-up stays idempotent
    assert function.aliases() == {}
    assert function.delete_version(first.version)
    assert not function.delete_version(first.version)
    with pytest.raises(ValueError, match="only numbered versions"):
        function.delete_version("$LATEST")


def test_a_version_is_published_only_with_the_code_the_caller_names(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    function = control(make_target("f", memory_mb=1024))
    code = function.configuration().code_sha256
    function.update(memory_mb=512, description="autotuner run r1: measure 512 MB")
    assert function.publish_version("autotuner run r1: measure 512 MB", code_sha256=code).version == "1"
    function.update(memory_mb=768, description="autotuner run r1: measure 768 MB")
    with pytest.raises(TargetChangedError, match=r"\$LATEST is no longer other=; nothing was published$"):
        function.publish_version("autotuner run r1: measure 768 MB", code_sha256="other=")
    assert [v.version for v in function.versions()] == ["1"]


def test_update_conflicts_are_retried_with_jittered_backoff(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    sleeps: list[float] = []
    function = control(make_target("f"), sleeps)
    with failing("update_function_configuration", conflict, times=3):
        function.update(memory_mb=2048, description="d")
    assert function.configuration().memory_mb == 2048
    assert len(sleeps) == 3
    assert all(0 <= s <= 20 for s in sleeps)


def test_a_conflict_that_never_clears_is_reported(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    function = control(make_target("f"))
    with (
        failing("update_function_configuration", conflict, times=99),
        pytest.raises(UpdateConflictError, match="another update is in progress"),
    ):
        function.update(memory_mb=2048, description="d")


def test_invoke_returns_the_log_tail_and_function_errors(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    make_target("f", "io-bound", memory_mb=256)
    invoker = LambdaInvoker("us-east-1", sleep=lambda _: None)
    ok = invoker.invoke("f", b"{}")
    assert ok.error_type is None
    assert parse_log_tail(decode_log_result(ok.log_tail_base64)).memory_size_mb == 256
    failed = invoker.invoke("f", json.dumps({"fail": "no id"}).encode())
    assert failed.error_type == "ValueError"
    assert json.loads(failed.payload)["errorMessage"] == "no id", "left in the answer, never read"


def test_throttled_invocations_are_retried_then_reported(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    make_target("f", "io-bound")
    throttles = [3]

    def throttle(function: Any, payload: Any) -> None:
        if throttles[0] > 0:
            throttles[0] -= 1
            raise ThrottledError()

    runtime.hooks.append(throttle)
    sleeps: list[float] = []
    invoker = LambdaInvoker("us-east-1", sleep=sleeps.append, base_delay_s=0.5)
    assert invoker.invoke("f", b"{}").error_type is None
    assert invoker.throttles == 3
    assert len(sleeps) == 3
    assert sleeps[2] <= 2.0  # full jitter, capped by base * 2**attempt

    throttles[0] = 99
    with pytest.raises(TargetThrottledError, match="still throttled after 8 attempts"):
        LambdaInvoker("us-east-1", sleep=lambda _: None).invoke("f", b"{}")


def test_other_invoke_errors_are_not_retried(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    make_target("f", "io-bound")
    sleeps: list[float] = []
    with (
        failing("invoke", lambda: LambdaClientError("ResourceNotFoundException", "gone"), times=1),
        pytest.raises(TargetNotFoundError),
    ):
        LambdaInvoker("us-east-1", sleep=sleeps.append).invoke("f", b"{}")
    assert sleeps == []


def test_notifications_carry_subject_attributes_and_fit_sns_limits(aws: None) -> None:
    topic = boto3.client("sns").create_topic(Name="results")["TopicArn"]
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    TopicNotifier(topic).publish("Résumé → 512 MB\n" + "x" * 200, "y" * 300_000, {"function": "f", "empty": ""})

    body = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    assert body["Subject"].startswith("R sum")
    assert len(body["Subject"]) == 100
    assert body["Message"].endswith("[truncated to fit SNS's 256 KB]")
    assert body["MessageAttributes"] == {"function": {"Type": "String", "Value": "f"}}


def test_payloads_from_s3(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="payloads")
    s3.put_object(Bucket="payloads", Key="a/event.json", Body=b'{"id": 7}')
    s3.put_object(Bucket="payloads", Key="plain.txt", Body=b"hello")
    source = S3PayloadSource()
    assert source.fetch("s3://payloads/a/event.json") == {"id": 7}
    assert source.fetch("s3://payloads/plain.txt") == "hello"
    with pytest.raises(PayloadNotFoundError, match=r"payloadS3: s3://payloads/missing\.json does not exist"):
        source.fetch("s3://payloads/missing.json")
    with pytest.raises(PayloadNotFoundError, match="not an s3://bucket/key URI"):
        source.fetch("https://payloads/x")


def test_profile_claims_are_exclusive_and_released_only_by_their_holder(aws: None) -> None:
    boto3.client("dynamodb").create_table(
        TableName="profiles",
        KeySchema=[{"AttributeName": "functionArn", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "functionArn", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    now = [1000.0]
    store = ProfileStore("profiles", clock=lambda: now[0])
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

    assert store.claim_run(arn, "run-1", until=2000) is None
    assert store.claim_run(arn, "run-1", until=2000) is None  # a retried Plan of the same run
    assert store.claim_run(arn, "run-2", until=2000) == "run-1"
    assert not store.release_run(arn, "run-2")  # a failed Plan must not free another run's lock
    assert store.release_run(arn, "run-1")
    assert store.claim_run(arn, "run-2", until=1500) is None
    now[0] = 1600.0
    assert store.claim_run(arn, "run-3", until=2500) is None  # an expired lock is free again
    store.release_run(arn, "run-3")

    assert not store.claim_automatic(arn, cooldown_s=100, claimant="a")  # no profile yet
    store.record_run(arn, 512, "run-3")
    now[0] = 1700.0
    assert not store.claim_automatic(arn, cooldown_s=1, claimant="a")  # past the cooldown, but a run is no profile
    store.set_user_profile(arn, {"num": 5})
    assert not store.claim_automatic(arn, cooldown_s=200, claimant="a")  # the run ended within the cooldown
    now[0] = 1800.0
    assert store.claim_automatic(arn, cooldown_s=100, claimant="a")
    assert not store.claim_automatic(arn, cooldown_s=100, claimant="b")
    store.release_automatic(arn, "b")  # not b's to give back
    assert not store.claim_automatic(arn, cooldown_s=100, claimant="b")
    store.release_automatic(arn, "a")
    assert store.claim_automatic(arn, cooldown_s=100, claimant="b")
    stored = store.get(arn)
    assert stored is not None
    assert (stored.profile, stored.stored_by, stored.last_run_power) == ({"num": 5}, "autotuner profile set", 512)


def test_an_item_an_older_version_wrote_a_run_input_into_is_read_without_it(aws: None) -> None:
    """Items written when every successful run's input became the profile (``lastRunInput``): automatic runs
    never use that input, and the function's next run removes it."""
    db = boto3.client("dynamodb")
    db.create_table(
        TableName="profiles",
        KeySchema=[{"AttributeName": "functionArn", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "functionArn", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    old_item = {"functionArn": {"S": arn}, "lastRunInput": {"S": json.dumps({"num": 5, "payload": {"key": "s3cr3t"}})},
                "lastRunAt": {"N": "1000"}, "lastRunExecution": {"S": "run-0"}}  # fmt: skip
    db.put_item(TableName="profiles", Item=old_item)
    store = ProfileStore("profiles", clock=lambda: 90_000.0)

    stored = store.get(arn)
    assert stored is not None
    assert (stored.profile, stored.legacy_run_input, stored.last_run_execution) == (None, True, "run-0")
    assert not store.claim_automatic(arn, cooldown_s=60, claimant="alarm")

    store.record_run(arn, 512, "run-1")
    item = db.get_item(TableName="profiles", Key={"functionArn": {"S": arn}})["Item"]
    assert "lastRunInput" not in item
    assert "s3cr3t" not in json.dumps(item)


def test_version_numbers_are_never_reused_after_a_deletion(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    function = control(make_target("f", memory_mb=1024))
    published = []
    for memory in (256, 512, 768):
        function.update(memory_mb=memory, description=f"autotuner run r1: measure {memory} MB")
        published.append(function.publish_version(f"autotuner run r1: measure {memory} MB").version)
    function.delete_version(published[1])
    function.update(memory_mb=2048, description="autotuner run r1: measure 2048 MB")
    newest = function.publish_version("autotuner run r1: measure 2048 MB").version
    function.point_alias("at-r1-2048", newest)
    assert newest == str(int(published[-1]) + 1)  # as Lambda numbers them (the emulator is corrected to)
    assert function.configuration(newest).memory_mb == 2048
    invoked = LambdaInvoker("us-east-1").invoke("f:at-r1-2048", b"{}")
    assert parse_log_tail(decode_log_result(invoked.log_tail_base64)).memory_size_mb == 2048


def test_a_run_record_written_before_a_deploy_is_read_with_its_target(aws: None) -> None:
    """A run in flight across a deploy: its record holds the target as the ARN string older versions wrote, and
    the clean-up of the new version must still find the function it changed."""
    boto3.client("dynamodb").create_table(
        TableName="runs",
        KeySchema=[{"AttributeName": "executionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "executionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    snapshot = {"executionId": "run-1", "runId": "0123456789", "functionArn": arn, "originalMemoryMb": 1024}
    boto3.client("dynamodb").put_item(
        TableName="runs",
        Item={"executionId": {"S": "run-1"}, "foundAs": {"S": json.dumps(snapshot)}, "isClosed": {"BOOL": False}},
    )

    record = RunRecords("runs").read("run-1")

    assert record is not None
    assert (record.function, record.original_memory_mb) == (parse_function_arn(arn), 1024)


def test_a_runs_s3_payload_is_read_once_per_warm_measure_lambda(aws: None) -> None:
    """Each Measure task of a run sends the payload Plan read; a warm Lambda reads it from S3 once per run, and
    afresh for another run (the object may have changed in between)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="payloads")
    s3.put_object(Bucket="payloads", Key="event.json", Body=b'{"id": 7}')
    reads: list[str] = []
    s3.meta.events.register("before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params["Key"]))
    remembering = S3PayloadSource(s3, remember=True)

    assert [remembering.fetch("s3://payloads/event.json") for _ in range(3)] == [{"id": 7}] * 3
    assert reads == ["event.json"]
    assert wiring.run_payload_source("run-1") is wiring.run_payload_source("run-1")
    assert wiring.run_payload_source("run-2") is not wiring.run_payload_source("run-1")
