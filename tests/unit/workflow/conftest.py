import pytest

from tests.unit.workflow.scenario import World


@pytest.fixture
def world() -> World:
    return World()
