"""`python -m bench` rewrites docs/benchmarks.md whole; the fleet benchmark's published figures must survive it."""

from bench.page_sections import FLEET_HEADING, carried_over, section

OLD = f"# Benchmark\n\nold figures\n\n{FLEET_HEADING}\n\n| fleet | table |\n\n## Reproduce\n\nold commands\n"
NEW = "# Benchmark\n\nnew figures\n\n## Reproduce\n\nnew commands\n"


def test_a_section_runs_to_the_next_second_level_heading() -> None:
    assert section(OLD, FLEET_HEADING) == f"{FLEET_HEADING}\n\n| fleet | table |\n\n"
    assert section(NEW, FLEET_HEADING) is None


def test_the_fleet_section_is_carried_over_before_reproduce_and_nothing_else_is() -> None:
    expected = f"# Benchmark\n\nnew figures\n\n{FLEET_HEADING}\n\n| fleet | table |\n\n## Reproduce\n\nnew commands\n"
    assert carried_over(OLD, NEW) == expected


def test_a_page_that_has_its_own_fleet_section_or_an_old_page_without_one_is_left_as_it_is() -> None:
    assert carried_over(NEW, NEW) == NEW
    own = NEW.replace("## Reproduce", f"{FLEET_HEADING}\n\nnew fleet\n\n## Reproduce")
    assert carried_over(OLD, own) == own
    assert carried_over("", NEW) == NEW


def test_without_a_reproduce_section_the_kept_section_goes_at_the_end() -> None:
    assert carried_over(OLD, "# Benchmark\n") == f"# Benchmark\n\n{FLEET_HEADING}\n\n| fleet | table |\n\n"
