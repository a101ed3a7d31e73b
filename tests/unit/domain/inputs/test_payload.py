import pytest
from pydantic import JsonValue

from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.payload import (
    PlainPayload,
    S3Payload,
    WeightedPayload,
    WeightedPayloads,
    payload_of,
    read_payload,
)

MIX: JsonValue = [{"payload": {"kind": "small"}, "weight": 3}, {"payload": "raw text", "weight": 1}]


def never_fetched(uri: str) -> object:
    raise AssertionError(f"fetched {uri}")


@pytest.mark.parametrize("value", [None, {"a": 1}, [1, 2], [], "text", 7, [{"payload": 1}]])
def test_anything_but_a_weighted_list_is_one_plain_payload(value: JsonValue) -> None:
    payload = read_payload(value)
    assert payload == PlainPayload(value=value)
    assert payload.schedule(10) is None
    assert payload.field_of(0) == "payload"


def test_a_plain_payload_is_sent_as_json_and_no_payload_as_null() -> None:
    assert read_payload({"a": 1}).encoded() == ['{"a": 1}']
    assert read_payload('{"a": 1}').encoded() == ['{"a": 1}']
    assert read_payload(None).encoded() == ["null"]  # as the reference's executor.js sends it


def test_a_weighted_list_is_read_into_its_payloads_and_weights() -> None:
    payload = read_payload(MIX)
    assert payload == WeightedPayloads((WeightedPayload({"kind": "small"}, 3.0), WeightedPayload("raw text", 1.0)))
    assert payload.encoded() == ['{"kind": "small"}', '"raw text"']
    assert payload.field_of(1) == "payload[1]"


def test_a_weighted_schedule_sends_each_payload_in_proportion() -> None:
    schedule = read_payload(MIX).schedule(8)
    assert schedule is not None
    assert sorted(schedule) == [0] * 6 + [1] * 2


def test_bad_weights_and_too_few_invocations_are_refused_together() -> None:
    bad: JsonValue = [{"payload": 1, "weight": -1}, {"payload": 2, "weight": True}, {"payload": 3, "weight": "2"}]
    with pytest.raises(InvalidInputError) as refused:
        read_payload(bad, num=2)
    assert refused.value.problems == [
        "payload[0].weight: must be a positive number",
        "payload[1].weight: must be a positive number",
        "payload[2].weight: must be a positive number",
        "num: 2 is less than the 3 weighted payloads",
    ]


def test_payloads_at_hand_are_not_fetched() -> None:
    assert payload_of({"a": 1}, None).resolve(never_fetched) == PlainPayload(value={"a": 1})


def test_an_s3_payload_is_read_from_its_content_and_blames_payload_s3() -> None:
    assert payload_of(None, "s3://bucket/key") == S3Payload("s3://bucket/key")
    plain = S3Payload("s3://bucket/key").resolve(lambda uri: {"from": uri})
    assert plain == PlainPayload(value={"from": "s3://bucket/key"}, field="payloadS3")
    assert plain.field_of(0) == "payloadS3"


def test_a_weighted_list_in_s3_is_weighted() -> None:
    weighted = S3Payload("s3://bucket/key").resolve(lambda _: MIX)
    assert isinstance(weighted, WeightedPayloads)
    assert weighted.field_of(0) == "payload[0]"


def test_a_dry_run_of_weighted_payloads_sends_the_most_common_one() -> None:
    """A dry run makes one invocation per size, fewer than the payloads: it used to fail Plan with a ValueError."""
    payload = read_payload([{"payload": {"a": 1}, "weight": 1}, {"payload": {"b": 2}, "weight": 3}])
    assert payload.schedule(1) == [1]
