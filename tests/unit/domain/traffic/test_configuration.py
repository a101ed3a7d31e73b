"""Whether a candidate published from $LATEST is the current version at another size: fingerprints of every
configuration field but those that name or date a version, never the values themselves."""

import copy
from typing import Any

from autotuner.domain.traffic.configuration import (
    NOT_COMPARED,
    differences,
    differences_in_words,
    fingerprint,
)

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


def configuration(**changes: Any) -> dict[str, Any]:
    """A GetFunctionConfiguration answer for version 7 of a function, as Lambda gives it."""
    answer: dict[str, Any] = {
        "FunctionName": "payments",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:payments:7",
        "Runtime": "python3.13",
        "Role": "arn:aws:iam::123456789012:role/payments",
        "Handler": "app.handler",
        "CodeSha256": "abc=",
        "Description": "release 41",
        "Timeout": 30,
        "MemorySize": 1024,
        "LastModified": "2026-03-01T10:00:00.000+0000",
        "Version": "7",
        "Environment": {"Variables": {"STRIPE_KEY": SECRET, "TABLE": "orders"}},
        "RevisionId": "1111",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "Architectures": ["arm64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"},
        "ResponseMetadata": {"RequestId": "r-1", "HTTPStatusCode": 200},
    }
    return {**answer, **changes}


def test_a_fingerprint_holds_a_sha256_per_compared_field_and_none_of_the_others() -> None:
    printed = fingerprint(configuration())
    assert set(printed) == {
        "Runtime", "Role", "Handler", "CodeSha256", "Timeout", "Environment", "Architectures", "EphemeralStorage",
        "SnapStart",
    }  # fmt: skip
    assert not set(printed) & NOT_COMPARED
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in printed.values())


def test_latest_at_another_size_has_the_current_version_s_fingerprint() -> None:
    latest = configuration(
        FunctionArn="arn:aws:lambda:us-east-1:123456789012:function:payments:$LATEST",
        Version="$LATEST",
        Description="",
        MemorySize=512,
        LastModified="2026-03-03T09:00:00.000+0000",
        RevisionId="2222",
        State="Pending",
        StateReason="Creating",
        StateReasonCode="Creating",
        LastUpdateStatus="InProgress",
        SnapStart={"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"},
        ResponseMetadata={"RequestId": "r-2", "HTTPStatusCode": 200},
    )
    assert differences(fingerprint(configuration()), fingerprint(latest)) == []


def test_snapstart_turned_off_differs() -> None:
    off = configuration(SnapStart={"ApplyOn": "None", "OptimizationStatus": "Off"})
    assert differences(fingerprint(configuration()), fingerprint(off)) == ["SnapStart"]


def test_a_changed_environment_variable_differs_and_the_secret_appears_nowhere() -> None:
    rotated = copy.deepcopy(configuration())
    rotated["Environment"]["Variables"]["STRIPE_KEY"] = "sk_live_rotated"
    ours, theirs = fingerprint(configuration()), fingerprint(rotated)
    assert differences(ours, theirs) == ["Environment"]
    printed = repr(ours) + repr(theirs)
    for value in (SECRET, "STRIPE_KEY", "orders"):
        assert value not in printed


def test_key_order_does_not_change_a_fingerprint() -> None:
    reordered = configuration(Environment={"Variables": {"TABLE": "orders", "STRIPE_KEY": SECRET}})
    assert fingerprint(reordered) == fingerprint(configuration())


def test_a_field_only_one_side_has_differs() -> None:
    with_layers = configuration(Layers=[{"Arn": "arn:aws:lambda:us-east-1:123456789012:layer:deps:3"}])
    assert differences(fingerprint(configuration()), fingerprint(with_layers)) == ["Layers"]
    assert differences(fingerprint(with_layers), fingerprint(configuration())) == ["Layers"]


def test_several_differences_are_named_in_order() -> None:
    changed = configuration(Timeout=60, Handler="app.other", CodeSha256="def=")
    fields = differences(fingerprint(configuration()), fingerprint(changed))
    assert fields == ["CodeSha256", "Handler", "Timeout"]
    assert differences_in_words(fields, ours="$LATEST", theirs="version 7") == (
        "CodeSha256, Handler, Timeout differ between $LATEST and version 7"
    )
    assert differences_in_words(["Timeout"], ours="$LATEST", theirs="version 7") == (
        "Timeout differs between $LATEST and version 7"
    )
