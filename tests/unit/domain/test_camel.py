"""Every model that crosses a state boundary speaks camelCase, and reads what a caller wrote either way."""

from autotuner.domain.camel import CamelModel


class Measured(CamelModel):
    memory_mb: int
    max_memory_used_mb: int = 0


def test_a_state_document_is_written_in_camel_case() -> None:
    measured = Measured(memory_mb=1024, max_memory_used_mb=80)
    assert measured.model_dump() == {"memoryMb": 1024, "maxMemoryUsedMb": 80}
    assert measured.model_dump_json() == '{"memoryMb":1024,"maxMemoryUsedMb":80}'


def test_a_document_is_read_in_camel_case_or_by_its_python_names() -> None:
    assert Measured.model_validate({"memoryMb": 1024, "maxMemoryUsedMb": 80}) == Measured(
        memory_mb=1024, max_memory_used_mb=80
    )
    assert Measured.model_validate({"memory_mb": 1024, "max_memory_used_mb": 80}).max_memory_used_mb == 80


def test_what_it_writes_reads_back_the_same() -> None:
    measured = Measured(memory_mb=3008, max_memory_used_mb=1500)
    assert Measured.model_validate_json(measured.model_dump_json()) == measured
