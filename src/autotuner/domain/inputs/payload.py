"""The payload a run sends, read once from the input: plain JSON, a weighted mix (the reference tool's
``[{"payload": ..., "weight": n}, ...]``), or a document in S3 that is read into one of the other two."""

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeGuard, cast, override

from pydantic import JsonValue

from autotuner.domain.errors import InvalidInputError

PayloadField = Literal["payload", "payloadS3"]
Fetch = Callable[[str], object]  # an S3 URI in, the object's JSON (or its text) out


class Payload(ABC):
    """What the input says to send."""

    @abstractmethod
    def resolve(self, fetch: Fetch) -> "InlinePayload":
        """The payload itself, read from S3 if it is kept there."""


class InlinePayload(Payload, ABC):
    """A payload at hand: what each invocation sends."""

    @override
    def resolve(self, fetch: Fetch) -> "InlinePayload":
        return self

    @abstractmethod
    def encoded(self) -> list[str]:
        """The distinct payloads, as sent to the target."""

    @abstractmethod
    def schedule(self, num: int) -> list[int] | None:
        """Which of ``encoded()`` each of ``num`` invocations sends; None: the only one."""

    @abstractmethod
    def field_of(self, index: int) -> str:
        """The input field to name when the target rejects payload ``index``."""


@dataclass(frozen=True)
class PlainPayload(InlinePayload):
    """One payload, sent by every invocation; ``field`` is where it came from."""

    value: JsonValue = None
    field: PayloadField = "payload"

    @override
    def encoded(self) -> list[str]:
        return [encode_payload(self.value)]  # no payload: null, as the reference tool sends

    @override
    def schedule(self, num: int) -> list[int] | None:
        return None

    @override
    def field_of(self, index: int) -> str:
        return self.field


@dataclass(frozen=True)
class WeightedPayload:
    payload: JsonValue
    weight: float


@dataclass(frozen=True)
class WeightedPayloads(InlinePayload):
    """Several payloads, each sent in proportion to its weight."""

    items: tuple[WeightedPayload, ...]

    @override
    def encoded(self) -> list[str]:
        return [encode_payload(item.payload) for item in self.items]

    @override
    def schedule(self, num: int) -> list[int] | None:
        weights = [item.weight for item in self.items]
        if num < len(weights):  # a dry run (one invocation per size): the most common payload
            heaviest = max(range(len(weights)), key=lambda i: (weights[i], -i))
            return [heaviest] * num
        return payload_schedule(weights, num)

    @override
    def field_of(self, index: int) -> str:
        return f"payload[{index}]"  # even when the list came from S3, as it always has


@dataclass(frozen=True)
class S3Payload(Payload):
    """A payload kept in S3 (``payloadS3``): only its content says whether it is plain or weighted."""

    uri: str

    @override
    def resolve(self, fetch: Fetch) -> InlinePayload:
        return read_payload(cast(JsonValue, fetch(self.uri)), field="payloadS3")


def payload_of(payload: JsonValue, payload_s3: str | None) -> Payload:
    """The input's payload: ``payloadS3`` when given (the input refuses both at once), else ``payload``."""
    return S3Payload(payload_s3) if payload_s3 is not None else read_payload(payload)


def is_truthy(value: object) -> bool:
    """JavaScript's truthiness of a JSON value, which the reference tool's payload checks rely on: null, false,
    0 and "" are false; every object and array, even empty, is true (so no set: they are unhashable)."""
    return value is not None and value is not False and value not in (0, "")


def looks_weighted(payload: object) -> TypeGuard[list[dict[str, JsonValue]]]:
    """A non-empty list whose every item is an object with a payload and a weight."""
    return (
        isinstance(payload, list)
        and len(payload) > 0
        and all(isinstance(p, dict) and "payload" in p and "weight" in p for p in payload)
    )


def is_weighted(payload: object) -> TypeGuard[list[dict[str, JsonValue]]]:
    """True as the reference tool's isWeightedPayload reads it: every item's weight and payload are truthy.
    A list with a zero weight is therefore one plain payload there, and so it is here."""
    return looks_weighted(payload) and all(is_truthy(p["weight"]) and is_truthy(p["payload"]) for p in payload)


def read_payload(value: JsonValue, *, field: PayloadField = "payload", num: int | None = None) -> InlinePayload:
    """The payload ``value`` holds. A weighted list is refused for a weight that is not a positive number, and,
    when ``num`` is given, for having more payloads than ``num`` invocations can send; every problem at once."""
    if not is_weighted(value):
        return PlainPayload(value=value, field=field)
    weights = [item["weight"] for item in value]
    problems = [f"payload[{i}].weight: must be a positive number" for i, w in enumerate(weights) if not _positive(w)]
    if num is not None and num < len(value):
        problems.append(f"num: {num} is less than the {len(value)} weighted payloads")
    if problems:
        raise InvalidInputError(problems)
    return WeightedPayloads(
        tuple(WeightedPayload(item["payload"], float(cast(float, item["weight"]))) for item in value)
    )


def _positive(weight: object) -> bool:
    return not isinstance(weight, bool) and isinstance(weight, int | float) and weight > 0


def payload_schedule(weights: Sequence[float], num: int) -> list[int]:
    """Which payload each of ``num`` invocations sends: every payload at least once, the rest in proportion to
    ``weights`` (each next invocation goes to the payload furthest below its share), interleaved so that any
    run of consecutive invocations sees the mix rather than one payload after another."""
    if num < len(weights):
        raise ValueError(f"num={num} is smaller than the {len(weights)} weighted payloads; raise num")
    total = math.fsum(weights)
    quotas = [w * num / total for w in weights]
    counts = [1] * len(weights)
    for _ in range(num - len(weights)):
        behind = max(range(len(weights)), key=lambda i: (quotas[i] - counts[i], -i))
        counts[behind] += 1
    return _interleave(counts)


def _interleave(counts: list[int]) -> list[int]:
    """Smooth weighted round-robin: each step picks the payload furthest behind its share."""
    total = sum(counts)
    credit = [0] * len(counts)
    order: list[int] = []
    for _ in range(total):
        credit = [c + n for c, n in zip(credit, counts, strict=True)]
        chosen = max(range(len(counts)), key=lambda i: credit[i])
        credit[chosen] -= total
        order.append(chosen)
    return order


def encode_payload(payload: object) -> str:
    """The bytes sent to the target: a JSON string is sent as it is, anything else is JSON-encoded."""
    if isinstance(payload, str):
        try:
            json.loads(payload)
        except json.JSONDecodeError:
            return json.dumps(payload)
        return payload
    return json.dumps(payload)
