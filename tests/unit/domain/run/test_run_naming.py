from autotuner.domain.run.naming import (
    alias_name,
    is_run_alias,
    is_run_version,
    run_id_for,
    version_description,
)


def test_run_names_let_clean_up_find_exactly_its_own() -> None:
    run = run_id_for("arn:aws:states:us-east-1:123456789012:execution:tuner:abc")
    other = run_id_for("arn:aws:states:us-east-1:123456789012:execution:tuner:abd")
    assert len(run) == 10
    assert run != other
    assert is_run_alias(alias_name(run, 1024), run)
    assert not is_run_alias(alias_name(other, 1024), run)
    assert not is_run_alias("live", run)
    assert is_run_version(version_description(run, 512), run)
    assert not is_run_version(version_description(other, 512), run)
    assert not is_run_version("my release 2", run)


def test_each_architecture_of_a_run_has_its_own_aliases() -> None:
    run = run_id_for("arn:aws:states:us-east-1:123456789012:execution:tuner:abc")
    assert alias_name(run, 1024) == f"at-{run}-1024", "a run of one architecture names none"
    assert alias_name(run, 1024, architecture="arm64") == f"at-{run}-1024-arm64"
    assert alias_name(run, 1024, 3, "x86_64") == f"at-{run}-1024-x86_64-c3"
    assert is_run_alias(alias_name(run, 1024, architecture="arm64"), run)
    assert version_description(run, 512, architecture="arm64").endswith("measure 512 MB on arm64")
