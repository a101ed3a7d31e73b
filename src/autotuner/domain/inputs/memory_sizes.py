"""Which memory sizes Lambda allows and which a sweep measures: validation, the reference tool's "ALL"."""

import math
from collections.abc import Sequence

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
DEFAULT_POWER_VALUES = (128, 256, 512, 1024, 1536, 3008)
ALL_POWER_VALUES = tuple(range(128, 3008 + 1, 64))  # "ALL", as aws-lambda-power-tuning defines it


def validate_memory_sizes(
    requested: Sequence[object], *, max_memory_mb: int = MAX_MEMORY_MB, field: str = "powerValues"
) -> tuple[list[int], list[str]]:
    """Sorted, de-duplicated sizes, and a problem per invalid entry (each naming its position)."""
    sizes: set[int] = set()
    problems: list[str] = []
    for position, value in enumerate(requested):
        where = f"{field}[{position}]"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            problems.append(f"{where}: {value!r} is not a memory size in MB")
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(f"{where}: {value!r} is not a number")
            continue
        if not math.isfinite(number) or number != int(number):
            problems.append(f"{where}: {value!r} is not a whole number of MB")
        elif not MIN_MEMORY_MB <= number <= max_memory_mb:
            problems.append(f"{where}: {int(number)} MB is outside {MIN_MEMORY_MB}-{max_memory_mb} MB")
        else:
            sizes.add(int(number))
    if not requested:
        problems.append(f"{field}: at least one memory size is needed")
    return sorted(sizes), problems


def all_power_values(max_memory_mb: int = MAX_MEMORY_MB) -> list[int]:
    return [size for size in ALL_POWER_VALUES if size <= max_memory_mb]
