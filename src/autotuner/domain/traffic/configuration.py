"""Whether a version is the same function as another at another memory size, byte for byte otherwise.

A traffic run publishes each candidate from $LATEST: its code and every setting are $LATEST's. That is safe only if
they are exactly those of the version the alias runs now: the code (its SHA-256) and every field of the function's
configuration except those that name or date a version, its state, its description and its memory. Everything
is compared, fields Lambda may add later included; a run compares fingerprints (a SHA-256 per field) so that the
configuration itself (environment variables may hold secrets) never enters a run's documents.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Fields that differ between two versions of one function by nature, or that a candidate changes on purpose.
NOT_COMPARED = frozenset(
    {
        "FunctionName",
        "FunctionArn",
        "Version",
        "Description",
        "MemorySize",
        "LastModified",
        "RevisionId",
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
        "MasterArn",
        "ResponseMetadata",
    }
)
# Within SnapStart, OptimizationStatus is Off on $LATEST and On on a published version by design; ApplyOn is the
# setting.
_WITHIN = {"SnapStart": ("ApplyOn",)}


def fingerprint(configuration: Mapping[str, Any]) -> dict[str, str]:
    """A SHA-256 of each compared field of a GetFunctionConfiguration answer, by field name."""
    printed: dict[str, str] = {}
    for field, value in configuration.items():
        if field in NOT_COMPARED:
            continue
        compared = (
            {key: value.get(key) for key in _WITHIN[field]}
            if field in _WITHIN and isinstance(value, Mapping)
            else value
        )
        canonical = json.dumps(compared, sort_keys=True, separators=(",", ":"), default=str)
        printed[field] = hashlib.sha256(canonical.encode()).hexdigest()
    return printed


def differences(expected: Mapping[str, str], found: Mapping[str, str]) -> list[str]:
    """The fields whose values differ (or that only one of the two has), by name."""
    return sorted(field for field in expected.keys() | found.keys() if expected.get(field) != found.get(field))


def differences_in_words(fields: list[str], *, ours: str, theirs: str) -> str:
    """``fields`` as a sentence: what differs between ``ours`` and ``theirs``."""
    listed = ", ".join(fields)
    verb = "differs" if len(fields) == 1 else "differ"
    return f"{listed} {verb} between {ours} and {theirs}"
