"""Keeping chosen functions warm: which functions, how many environments, and the payload they recognise."""

from pydantic import BaseModel, Field

MAX_WARM_CONCURRENCY = 50


class WarmTarget(BaseModel):
    function: str = Field(description="name or ARN, optionally name:alias")
    concurrency: int = Field(ge=1, le=MAX_WARM_CONCURRENCY)


class WarmResult(BaseModel):
    warmed: list[str] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict, description="function -> why it was not warmed")
    failed: dict[str, str] = Field(default_factory=dict, description="function -> what went wrong")
    notes: dict[str, str] = Field(default_factory=dict, description="function -> what was worth saying")


def parse_concurrency(value: str, where: str) -> int:
    """A warm tag's or list entry's concurrency ('' and 'true' mean 1)."""
    text = value.strip().lower()
    if text in {"", "true", "yes"}:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_WARM_CONCURRENCY:
        raise ValueError(f"{where}: {value!r} is not a concurrency between 1 and {MAX_WARM_CONCURRENCY}")
    return int(text)


def parse_target_list(text: str) -> tuple[list[WarmTarget], list[str]]:
    """The WarmTargets parameter: 'orders:3,resize,api:live:2' -> targets, plus a problem per bad entry."""
    targets: list[WarmTarget] = []
    problems: list[str] = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        function, _, last = entry.rpartition(":")
        if not function or not last.isdigit():
            function, last = entry, ""
        try:
            targets.append(WarmTarget(function=function, concurrency=parse_concurrency(last, f"WarmTargets {entry!r}")))
        except ValueError as error:
            problems.append(str(error))
    return targets, problems
