"""The warm-up ping the warmer sends and the users' decorator (autotuner.warmup) recognises. Standard library
only: the decorator runs inside the users' own functions, which should not have to ship pydantic for it."""

WARMUP_KEY = "autotuner"
WARMUP_VALUE = "warmup"


def warmup_payload(concurrency: int, index: int) -> dict[str, object]:
    return {WARMUP_KEY: WARMUP_VALUE, "concurrency": concurrency, "index": index}


def is_warmup(event: object) -> bool:
    return isinstance(event, dict) and event.get(WARMUP_KEY) == WARMUP_VALUE
