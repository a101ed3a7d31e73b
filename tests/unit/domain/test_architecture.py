"""The domain is pure: it imports only the standard library, pydantic and itself."""

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[3] / "src" / "autotuner" / "domain"
ALLOWED_THIRD_PARTY = {"pydantic", "typing_extensions"}
FORBIDDEN_CALLS = {"open", "getenv", "environ"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_nothing_impure(module: Path) -> None:
    foreign = imported_roots(module) - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"autotuner"}
    assert not foreign, f"{module.name} imports {sorted(foreign)}; the domain must stay pure"
    assert not {"os", "boto3", "botocore", "socket", "subprocess"} & imported_roots(module)


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_reads_no_files_and_no_environment(module: Path) -> None:
    names = {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Name | ast.Attribute)
    }
    assert not names & FORBIDDEN_CALLS, f"{module.name} uses {sorted(names & FORBIDDEN_CALLS)}"


def test_domain_imports_only_domain_modules_of_the_package() -> None:
    for module in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autotuner"):
                assert node.module.startswith("autotuner.domain"), f"{module.name} imports {node.module}"
