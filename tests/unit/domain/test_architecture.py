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


@pytest.mark.parametrize("module", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_imports_nothing_impure(module: Path) -> None:
    foreign = imported_roots(module) - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"autotuner"}
    assert not foreign, f"{module.name} imports {sorted(foreign)}; the domain must stay pure"
    assert not {"os", "boto3", "botocore", "socket", "subprocess"} & imported_roots(module)


@pytest.mark.parametrize("module", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_reads_no_files_and_no_environment(module: Path) -> None:
    names = {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Name | ast.Attribute)
    }
    assert not names & FORBIDDEN_CALLS, f"{module.name} uses {sorted(names & FORBIDDEN_CALLS)}"


def test_domain_imports_only_domain_modules_of_the_package() -> None:
    for module in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autotuner"):
                assert node.module.startswith("autotuner.domain"), f"{module.name} imports {node.module}"


DEPLOYED = DOMAIN.parent
RUNTIME_REQUIREMENTS = DEPLOYED.parent / "requirements.txt"


# Imported only where the CLI renders a PNG chart, never on a Lambda's path (the artifact does not carry it).
CLI_ONLY = {"matplotlib"}


def runtime_imports(path: Path) -> set[str]:
    """The roots a module imports when it runs (type-checking-only imports excluded)."""
    tree = ast.parse(path.read_text())
    checking_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
        for statement in block.body
        for node in ast.walk(statement)
    }
    return {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else str(node.module).split(".")[0]
        for node in ast.walk(tree)
        if id(node) not in checking_only
        and (isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.module and node.level == 0))
        for alias in node.names
    }


def test_deployed_code_imports_only_what_its_artifact_holds() -> None:
    """src/ is the Lambdas' artifact: it may import itself and what src/requirements.txt installs, never the CLI,
    the emulator, or a test-only package (the artifact would fail to import, or carry them)."""
    shipped = {"autotuner", "aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore", "pydantic"}
    declared = {
        line.split("[")[0].split("=")[0].strip().replace("-", "_")
        for line in RUNTIME_REQUIREMENTS.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert shipped - {"autotuner", "botocore"} <= declared, (
        f"{RUNTIME_REQUIREMENTS.name} lacks {sorted(shipped - declared)}"
    )
    for module in sorted(DEPLOYED.rglob("*.py")):
        foreign = runtime_imports(module) - set(sys.stdlib_module_names) - shipped - {"typing_extensions"} - CLI_ONLY
        assert not foreign, (
            f"{module.relative_to(DEPLOYED.parent)} imports {sorted(foreign)}, which the Lambda artifact lacks"
        )


# ---- the house: rooms by concept, modules of a readable size, steps that share only through the domain ----------

MAX_MODULE_LINES = 420  # about 400: a module past it holds more than one idea
WORKFLOW = DEPLOYED / "workflow"
# What the workflow's steps share (ports, the change guard, the invocation runner, the round planner, the code switch
# Prepare, Apply and clean-up put $LATEST's architecture through, the facts Plan and `autotuner advise` read for the
# advice, and the reading of production's calls); every other module of workflow/ is one step, and a step never
# imports another: what two steps share lives in the domain.
SHARED_BY_STEPS = {"ports", "guard", "invocation", "rounds", "code_switch", "target_facts", "production"}


def test_domain_is_a_few_packages_each_saying_what_it_owns() -> None:
    packages = sorted(p for p in DOMAIN.iterdir() if (p / "__init__.py").exists())
    assert 5 <= len(packages) <= 9, f"domain/ holds {len(packages)} packages: {[p.name for p in packages]}"
    for package in packages:
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring, f"domain/{package.name}/__init__.py says nothing of what the package owns"
    loose = sorted(p.name for p in DOMAIN.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 4, f"domain/ keeps {loose} outside its packages: only what every package shares belongs there"


@pytest.mark.parametrize("module", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_is_of_a_readable_size(module: Path) -> None:
    lines = len(module.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{module.relative_to(DOMAIN)} has {lines} lines; split it by concept"


def test_no_workflow_step_imports_another_step() -> None:
    for module in sorted(WORKFLOW.glob("*.py")):
        if module.stem in SHARED_BY_STEPS or module.stem == "__init__":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            imported: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = (
                    [node.module]
                    if node.module != "autotuner.workflow"
                    else [f"autotuner.workflow.{alias.name}" for alias in node.names]
                )
            elif isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            steps = [m for m in imported if m.startswith("autotuner.workflow.")]
            others = [m for m in steps if m.rsplit(".", 1)[-1] not in SHARED_BY_STEPS]
            assert not others, f"workflow/{module.name} (a step) imports {others}: move what they share to the domain"


def test_every_domain_module_has_unit_tests() -> None:
    tests = [p.read_text() for p in (DOMAIN.parents[2] / "tests" / "unit" / "domain").rglob("test_*.py")]
    for module in sorted(DOMAIN.rglob("*.py")):
        if module.name == "__init__.py":
            continue
        dotted = ".".join(module.relative_to(DOMAIN.parents[1]).with_suffix("").parts)
        assert any(f"from {dotted} import" in text or f"import {dotted}" in text for text in tests), (
            f"no unit test under tests/unit/domain imports {dotted}"
        )
