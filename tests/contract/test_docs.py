"""The README and docs/ as a newcomer follows them: the set-up commands are the ones CI runs, every link to a file of
the repository (and to a heading in it) leads somewhere, and every input field has its line in docs/input.md."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from autotuner.domain.decision.candidate import Constraints
from autotuner.domain.inputs.tuning_input import TuningInput

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted([README, ROOT / "events" / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target), images included
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def links_in(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())  # a link-like text inside a code block is code, not a link
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]  # http:, mailto: ...


def anchors_of(page: Path) -> set[str]:
    """The ids GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", FENCE.sub("", page.read_text()), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_to_a_file_of_the_repository_leads_to_it(page: Path) -> None:
    broken = []
    for target in links_in(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no file {linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors_of(linked):
            broken.append(f"{target}: no heading '{anchor}' in {linked.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)} links to what is not there: {broken}"


REPO_PATH = re.compile(r"`((?:tests|src|tools|bench|statemachine|templates|events|requirements)/[\w./-]+)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_file_a_page_names_is_there(page: Path) -> None:
    """A page that names a test or module as the proof of a guarantee names one that exists (files move)."""
    missing = sorted({path for path in REPO_PATH.findall(page.read_text()) if not (ROOT / path).exists()})
    assert not missing, f"{page.relative_to(ROOT)} names files that are not in the repository: {missing}"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links_in(README)}
    unlinked = [page.name for page in (ROOT / "docs").glob("*.md") if page.resolve() not in linked]
    assert not unlinked, f"docs pages a reader of the README cannot reach: {unlinked}"


def test_the_readme_sets_up_with_two_make_targets_and_ci_runs_its_test_command() -> None:
    set_up = README.read_text().split("## Set up", 1)[1]
    block = set_up.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]
    assert commands == ["make demo", "make test"], f"the README's set-up commands are {commands}"
    targets = re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert {"demo", "test"} <= set(targets), f"the Makefile has no target for one of them: {targets}"
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci[-1] == "make test", f".ci/run ends with {ci[-1]!r}, not the README's test command"


def documented_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


@pytest.mark.parametrize("name", documented_names(TuningInput))
def test_every_input_field_has_its_row_in_docs_input(name: str) -> None:
    rows = [line for line in (ROOT / "docs" / "input.md").read_text().splitlines() if line.startswith("| `")]
    assert any(f"`{name}`" in row.split("|")[1] for row in rows), f"docs/input.md has no row for `{name}`"


@pytest.mark.parametrize("name", documented_names(Constraints))
def test_every_constraint_is_named_in_docs_input(name: str) -> None:
    assert name in (ROOT / "docs" / "input.md").read_text(), f"docs/input.md does not name constraints.{name}"
