"""Keeping chosen functions warm: which functions, how many environments, and the payload they recognise."""

import re

from pydantic import BaseModel, Field

MAX_WARM_CONCURRENCY = 50

# A WarmTargets entry: the function, then ":<concurrency>" when the last part is a number ('api:live:2').
_ENTRY_WITH_COUNT = re.compile(r"(?P<function>.+):(?P<count>[^:]*)")


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


def parse_target_list(text: str) -> tuple[list[WarmTarget], dict[str, str]]:
    """The WarmTargets parameter: 'orders:3,resize,api:live:2' -> targets, plus function -> problem for each bad
    entry (the function as the entry names it)."""
    targets: list[WarmTarget] = []
    problems: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        match = _ENTRY_WITH_COUNT.fullmatch(entry)
        function, count = (match["function"], match["count"]) if match and match["count"].isdigit() else (entry, "")
        try:
            targets.append(
                WarmTarget(function=function, concurrency=parse_concurrency(count, f"WarmTargets {entry!r}"))
            )
        except ValueError as error:
            problems[function] = str(error)
    return targets, problems
