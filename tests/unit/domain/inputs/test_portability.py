"""What keeps a function's code from running on another architecture, each named with why."""

import pytest

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.portability import (
    DIRECT_UPLOAD_LIMIT_BYTES,
    ArchitectureRefusal,
    elf_machine,
    image_platform_digest,
    image_problems,
    layer_problems,
    native_binary_problems,
    upload_problems,
)

X86, ARM = Architecture.X86_64, Architecture.ARM64


def elf(machine: int, *, big_endian: bool = False) -> bytes:
    """An ELF header's first 20 bytes: magic, 64-bit class, data encoding, version, padding, e_type, e_machine."""
    ident = b"\x7fELF" + bytes([2, 2 if big_endian else 1, 1]) + bytes(9)
    if big_endian:
        return ident + (3).to_bytes(2, "big") + machine.to_bytes(2, "big")
    return ident + (3).to_bytes(2, "little") + machine.to_bytes(2, "little")


def test_the_elf_machine_is_read_in_the_headers_byte_order() -> None:
    assert elf_machine(elf(62)) == 62
    assert elf_machine(elf(183)) == 183
    assert elf_machine(elf(183, big_endian=True)) == 183
    assert elf_machine(b"PK\x03\x04" + bytes(16)) is None, "not an ELF file"
    assert elf_machine(b"\x7fELF") is None, "too short to hold e_machine"


def test_an_x86_extension_module_is_refused_on_arm64_by_name() -> None:
    headers = {"lib/_native.cpython-313-x86_64-linux-gnu.so": elf(62), "bin/tool": elf(183)}
    assert native_binary_problems(headers, ARM) == [
        "lib/_native.cpython-313-x86_64-linux-gnu.so is a native binary built for x86_64 (ELF e_machine 62), not "
        "arm64 (183)"
    ]
    assert native_binary_problems(headers, X86) == [
        "bin/tool is a native binary built for arm64 (ELF e_machine 183), not x86_64 (62)"
    ]
    assert native_binary_problems({"a.so": elf(3)}, X86)[0].startswith("a.so is a native binary built for x86 (32-bit)")
    assert native_binary_problems({}, ARM) == [], "pure Python switches"


def test_a_layer_must_list_the_architecture() -> None:
    layers = {
        "arn:aws:lambda:us-east-1:1:layer:both:3": ["x86_64", "arm64"],
        "arn:aws:lambda:us-east-1:1:layer:x86:1": ["x86_64"],
        "arn:aws:lambda:us-east-1:1:layer:none:1": [],
        "arn:aws:lambda:us-east-1:1:layer:unreadable:1": None,
    }
    assert layer_problems(layers, ARM) == [
        "layer arn:aws:lambda:us-east-1:1:layer:none:1 lists CompatibleArchitectures none, not arm64",
        "layer arn:aws:lambda:us-east-1:1:layer:unreadable:1 could not be read (GetLayerVersion), so nothing says it "
        "runs on arm64",
        "layer arn:aws:lambda:us-east-1:1:layer:x86:1 lists CompatibleArchitectures x86_64, not arm64",
    ]


def test_a_package_above_the_direct_upload_limit_needs_the_staging_bucket_in_the_same_account() -> None:
    large = DIRECT_UPLOAD_LIMIT_BYTES + 1
    assert upload_problems(DIRECT_UPLOAD_LIMIT_BYTES, staging_bucket=False, cross_account=False) == []
    assert upload_problems(large, staging_bucket=True, cross_account=False) == []
    [missing] = upload_problems(large, staging_bucket=False, cross_account=False)
    assert "above the 50 MB Lambda takes directly; name a bucket in the stack's CodeStagingBucket" in missing
    [elsewhere] = upload_problems(large, staging_bucket=True, cross_account=True)
    assert "not supported for another account" in elsewhere


INDEX = {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"digest": "sha256:aaa", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "sha256:bbb", "platform": {"os": "linux", "architecture": "arm64"}},
    ],
}


def test_an_image_switches_only_with_an_index_naming_the_architecture() -> None:
    assert image_platform_digest(INDEX, ARM) == "sha256:bbb"
    assert image_problems(INDEX, "repo:tag", ARM) == []
    single = {"mediaType": "application/vnd.oci.image.manifest.v1+json"}
    assert image_problems(single, "repo:tag", ARM) == [
        "the image repo:tag is a single-architecture image, with no manifest for arm64"
    ]
    only_x86 = INDEX | {"manifests": INDEX["manifests"][:1]}
    assert image_problems(only_x86, "repo:tag", ARM) == ["the image repo:tag's index holds no linux/arm64 manifest"]
    assert image_problems(None, "repo:tag", ARM)[0].startswith("the image repo:tag could not be read")


def test_a_refusal_needs_a_reason_and_reads_as_one_line() -> None:
    refusal = ArchitectureRefusal(architecture=ARM, reasons=["one", "two"])
    assert refusal.describe() == "arm64: one; two"
    with pytest.raises(ValueError, match="at least 1 item"):
        ArchitectureRefusal(architecture=ARM, reasons=[])
