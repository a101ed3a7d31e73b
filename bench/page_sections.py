"""Sections of docs/benchmarks.md that another benchmark wrote: `python -m bench` rewrites the page from its own
run and carries them over as they are, so that regenerating one part never drops another's published figures."""

import re

# Written from `python -m bench.fleet` runs (an hour of emulated fleet tuning), not by `python -m bench`.
FLEET_HEADING = "## Fleets at scale"
KEPT_HEADINGS = (FLEET_HEADING,)
PLACED_BEFORE = "## Reproduce"


def section(page: str, heading: str) -> str | None:
    """The section under ``heading`` (the heading line included) up to the next second-level heading, or None."""
    match = re.search(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", page, flags=re.DOTALL | re.MULTILINE)
    return match.group(0) if match else None


def carried_over(old_page: str, new_page: str) -> str:
    """``new_page`` with every kept section of ``old_page`` that it lacks, placed before its Reproduce section (or
    at its end)."""
    for heading in KEPT_HEADINGS:
        kept = section(old_page, heading)
        if kept is None or section(new_page, heading) is not None:
            continue
        kept = kept.rstrip("\n") + "\n\n"
        at = new_page.find(f"\n{PLACED_BEFORE}\n")
        new_page = new_page.rstrip("\n") + "\n\n" + kept if at < 0 else new_page[: at + 1] + kept + new_page[at + 1 :]
    return new_page
