from autotuner.domain.inputs.memory_sizes import ALL_POWER_VALUES, all_power_values, validate_memory_sizes


def test_all_is_128_to_3008_in_steps_of_64() -> None:
    assert ALL_POWER_VALUES[0] == 128
    assert ALL_POWER_VALUES[-1] == 3008
    assert len(ALL_POWER_VALUES) == 46
    assert all_power_values(1024)[-1] == 1024


def test_memory_sizes_are_validated_one_by_one() -> None:
    sizes, problems = validate_memory_sizes([1024, 128, "512", 1024, 100, 20000, 1536.5, True, "x"])
    assert sizes == [128, 512, 1024]
    assert problems == [
        "powerValues[4]: 100 MB is outside 128-10240 MB",
        "powerValues[5]: 20000 MB is outside 128-10240 MB",
        "powerValues[6]: 1536.5 is not a whole number of MB",
        "powerValues[7]: True is not a memory size in MB",
        "powerValues[8]: 'x' is not a number",
    ]


def test_an_account_maximum_lowers_the_ceiling() -> None:
    _, problems = validate_memory_sizes([3008, 4096], max_memory_mb=3008)
    assert problems == ["powerValues[1]: 4096 MB is outside 128-3008 MB"]


def test_empty_list_is_a_problem() -> None:
    assert validate_memory_sizes([])[1] == ["powerValues: at least one memory size is needed"]
