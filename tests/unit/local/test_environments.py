"""Handler calls run in execution environments as Lambda's do: a call takes an idle one of its function's or a new
one; with clients apart, each environment has its own boto3 clients (their retry state is theirs alone)."""

from autotuner.adapters.clients import client, forget_clients
from autotuner_local.environments import HandlerEnvironments, clients_apart


def test_concurrent_calls_get_environments_of_their_own_and_later_calls_reuse_them() -> None:
    environments = HandlerEnvironments()

    with (
        environments.entered("measure") as first,
        environments.entered("measure") as second,
        environments.entered("analyze") as other,
    ):
        assert len({first, second, other}) == 3
    with environments.entered("measure") as later:
        assert later in {first, second}

    assert environments.created() == {"measure": 2, "analyze": 1}


def test_with_clients_apart_each_environment_keeps_its_own_clients() -> None:
    environments = HandlerEnvironments()
    forget_clients()
    process_wide = client("lambda", "us-east-1")

    with clients_apart():
        with environments.entered("measure"):
            first = client("lambda", "us-east-1")
            assert client("lambda", "us-east-1") is first
            with environments.entered("measure"):
                second = client("lambda", "us-east-1")
        with environments.entered("measure"):
            reused = client("lambda", "us-east-1")
        outside = client("lambda", "us-east-1")

    assert second is not first
    assert reused in (first, second)
    assert outside not in (process_wide, first, second)  # outside a handler: the emulator's own, made afresh
    assert client("lambda", "us-east-1") is process_wide  # the process's clients again once it is over
    forget_clients()
