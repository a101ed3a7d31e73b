"""Inputs that aws-lambda-power-tuning runs by reading them leniently, read here the same way.

That tool clamps, ignores or falls back on some values instead of refusing them. Its users' inputs must keep
their meaning here, so before validation the raw input is rewritten to what that tool would have used; each
rewrite that changes a value the user gave comes with a warning naming the field and the value used. What
is not rewritten here is validated strictly (and refused by field) as before.

The behaviours come from that tool's lambda/executor.js, lambda/initializer.js, lambda/analyzer.js and
lambda/utils.js (isWeightedPayload, generatePayloads).
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

from autotuner.domain.inputs.payload import is_truthy, is_weighted, looks_weighted

MAX_DISCARD_TOP_BOTTOM = 0.4
# A string JavaScript's Number() reads as a decimal number (isNaN is false), and the digits parseInt(s, 10) reads.
_JS_DECIMAL = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
_LEADING_INTEGER = re.compile(r"\s*([+-]?[0-9]+)")


@dataclass
class ReferenceReading:
    """The input as that tool reads it, and what was changed to get there."""

    input: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def read_as_reference(raw: dict[str, Any]) -> ReferenceReading:
    reading = ReferenceReading(input=dict(raw))
    _empty_power_values(reading)
    _payload(reading)
    _sleep_between_runs(reading)
    _discard_top_bottom(reading)
    _balanced_weight(reading)
    return reading


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _empty_power_values(reading: ReferenceReading) -> None:
    """``powerValues: []`` means the deployment's default sizes (initializer.js: ``powerValues.length === 0``)."""
    if reading.input.get("powerValues") == []:
        del reading.input["powerValues"]


def _payload(reading: ReferenceReading) -> None:
    """``payloadS3`` wins over ``payload``; a falsy payload is no payload (sent as null); a list whose items all
    have a payload and a weight, but not all truthy ones, is one plain array payload (isWeightedPayload)."""
    given = reading.input
    if given.get("payloadS3") is not None and given.get("payload") is not None:
        del given["payload"]
        reading.warnings.append("payload: ignored because payloadS3 is given; the payload is read from S3")
    payload = given.get("payload")
    if payload is not None and not is_truthy(payload):
        given["payload"] = None
        reading.warnings.append(f"payload: {_shown(payload)} counts as no payload; null is sent")
    elif looks_weighted(payload) and not is_weighted(payload):
        falsy = [i for i, item in enumerate(payload) if not (is_truthy(item["weight"]) and is_truthy(item["payload"]))]
        reading.warnings.append(
            f"payload[{falsy[0]}]: a zero weight or an empty payload makes the list one plain payload; the whole "
            "list is sent as each invocation's payload"
        )


def _sleep_between_runs(reading: ReferenceReading) -> None:
    """Not a number: 0; a fraction: its whole part; negative: no sleep; with parallelInvocation: ignored."""
    given = reading.input
    if "sleepBetweenRunsMs" not in given:
        return
    value = given["sleepBetweenRunsMs"]
    number, used = _sleep_as_executor_reads(value)
    if number is None or used != number:
        reading.warnings.append(f"sleepBetweenRunsMs: {_shown(value)} is not a whole number of ms >= 0; {used} used")
    if used and given.get("parallelInvocation") is True:
        reading.warnings.append(
            "sleepBetweenRunsMs: ignored because parallelInvocation runs invocations at once; 0 used"
        )
        used = 0
    given["sleepBetweenRunsMs"] = used


def _sleep_as_executor_reads(value: object) -> tuple[float | None, int]:
    """The number ``value`` is (None if none), and the ms executor.js sleeps: ``parseInt(value, 10)`` of a value
    ``isNaN`` accepts, which stops at the first character that is not a digit ("1e3": 1, "12.7": 12); no sleep
    for anything else (a numeral Python reads but JavaScript does not, such as "1_000") or below zero."""
    if isinstance(value, str):
        leading = _LEADING_INTEGER.match(value)
        if not (_JS_DECIMAL.fullmatch(value) and leading):
            return None, 0
        # through float: a numeral of any length (int() refuses thousands of digits), too large being no number
        number, whole = _number(float(value)), _number(float(leading.group(1)))
    else:
        number = whole = _number(value)
    return number, 0 if whole is None or whole < 0 else int(whole)


def _discard_top_bottom(reading: ReferenceReading) -> None:
    """Clamped to [0, 0.4]; forced to 0 with onlyColdStarts (each cold start is measured once)."""
    given = reading.input
    value = given.get("discardTopBottom")
    number = _number(value)
    if given.get("onlyColdStarts") is True:
        if number is not None and number != 0:
            reading.warnings.append(f"discardTopBottom: {_shown(value)} given, 0 used: with onlyColdStarts every "
                                    "invocation counts")  # fmt: skip
        if number is not None:
            given["discardTopBottom"] = 0.0
        return
    if number is None:
        return
    clamped = min(max(number, 0.0), MAX_DISCARD_TOP_BOTTOM)
    if clamped != number:
        reading.warnings.append(f"discardTopBottom: {_shown(value)} is outside 0-0.4; {clamped} used")
        given["discardTopBottom"] = clamped


def _balanced_weight(reading: ReferenceReading) -> None:
    """Clamped to [0, 1] (analyzer.js)."""
    value = reading.input.get("balancedWeight")
    number = _number(value)
    if number is None:
        return
    clamped = min(max(number, 0.0), 1.0)
    if clamped != number:
        reading.warnings.append(f"balancedWeight: {_shown(value)} is outside 0-1; {clamped:g} used")
        reading.input["balancedWeight"] = clamped
