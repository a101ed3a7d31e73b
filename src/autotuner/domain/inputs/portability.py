"""Whether a function's code can run on another architecture, read from what it ships: a version carries the
architecture its code was uploaded for, so measuring on the other one means uploading the same code again for it.

What cannot switch, each named with why: native binaries (ELF files, ``.so`` extension modules included) built for
one machine, layers that do not list the architecture in CompatibleArchitectures, a container image without a
manifest for it, and a package too large to upload directly when no staging bucket is named. The adapters read
the package (the first bytes of every file in the zip, each layer's architectures, the image's index); this module
only judges what they read.
"""

from collections.abc import Mapping, Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture

ELF_MAGIC = b"\x7fELF"
ELF_HEADER_BYTES = 20  # e_ident (16 bytes), e_type (2), e_machine (2)
_E_MACHINE_OFFSET = 18
_EI_DATA = 5  # 1: little-endian, 2: big-endian
# ELF e_machine values (the System V ABI's registry): the two Lambda runs, and the 32-bit ones it runs neither of.
MACHINES: Mapping[int, str] = {3: "x86 (32-bit)", 40: "ARM (32-bit)", 62: "x86_64", 183: "arm64"}
MACHINE_OF = {Architecture.X86_64: 62, Architecture.ARM64: 183}
# Lambda's direct upload (UpdateFunctionCode's ZipFile) takes a package of at most 50 MB zipped; larger ones go
# through S3.
DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
# The media types of an image index (a manifest list): the only kind of image that can hold both architectures.
IMAGE_INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
_IMAGE_ARCHITECTURES = {"amd64": Architecture.X86_64, "arm64": Architecture.ARM64}


class ArchitectureRefusal(CamelModel):
    """An architecture the run was asked to measure and cannot, and why (each reason names what stops it)."""

    architecture: Architecture
    reasons: list[str] = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.architecture.value}: " + "; ".join(self.reasons)


def elf_machine(header: bytes) -> int | None:
    """The e_machine of an ELF header's first 20 bytes; None for anything that is not ELF."""
    if len(header) < ELF_HEADER_BYTES or not header.startswith(ELF_MAGIC):
        return None
    field = header[_E_MACHINE_OFFSET : _E_MACHINE_OFFSET + 2]
    return int.from_bytes(field, "big") if header[_EI_DATA] == 2 else int.from_bytes(field, "little")


def machine_name(machine: int) -> str:
    return MACHINES.get(machine, f"machine {machine}")


def native_binary_problems(headers: Mapping[str, bytes], target: Architecture) -> list[str]:
    """Each file of the package (by its path in the zip) that is an ELF binary built for another machine than
    ``target``: Lambda would fail to load it there."""
    wanted = MACHINE_OF[target]
    problems: list[str] = []
    for path in sorted(headers):
        machine = elf_machine(headers[path])
        if machine is not None and machine != wanted:
            problems.append(
                f"{path} is a native binary built for {machine_name(machine)} (ELF e_machine {machine}), not "
                f"{target.value} ({wanted})"
            )
    return problems


def layer_problems(layers: Mapping[str, Sequence[str] | None], target: Architecture) -> list[str]:
    """Each layer (by its version ARN) whose CompatibleArchitectures does not list ``target``; None: the layer
    version could not be read, so nothing says it runs there."""
    problems: list[str] = []
    for arn in sorted(layers):
        listed = layers[arn]
        if listed is None:
            problems.append(f"layer {arn} could not be read (GetLayerVersion), so nothing says it runs on {target}")
        elif target.value not in listed:
            which = ", ".join(listed) if listed else "none"
            problems.append(f"layer {arn} lists CompatibleArchitectures {which}, not {target.value}")
    return problems


def upload_problems(
    code_size_bytes: int, *, staging_bucket: bool, cross_account: bool, limit_bytes: int = DIRECT_UPLOAD_LIMIT_BYTES
) -> list[str]:
    """A zip package above the direct-upload limit goes through the stack's staging bucket, which the target's
    account must be able to read: refused when there is none, or the target is in another account."""
    if code_size_bytes <= limit_bytes:
        return []
    size = f"the package is {code_size_bytes / 1024 / 1024:,.1f} MB zipped, above the {limit_bytes // 1024 // 1024} MB"
    if cross_account:
        return [f"{size} Lambda takes directly, and staging it through S3 is not supported for another account"]
    if not staging_bucket:
        return [f"{size} Lambda takes directly; name a bucket in the stack's CodeStagingBucket parameter"]
    return []


def image_platform_digest(index: Mapping[str, object], target: Architecture) -> str | None:
    """The digest of ``target``'s manifest in an image index (Linux only), or None when it has none."""
    if index.get("mediaType") not in IMAGE_INDEX_TYPES:
        return None
    manifests = index.get("manifests")
    for manifest in manifests if isinstance(manifests, list) else []:
        platform = manifest.get("platform") if isinstance(manifest, dict) else None
        if not isinstance(platform, dict) or platform.get("os") != "linux":
            continue
        if _IMAGE_ARCHITECTURES.get(str(platform.get("architecture"))) is target:
            digest = manifest.get("digest")
            return str(digest) if isinstance(digest, str) and digest.startswith("sha256:") else None
    return None


def image_problems(index: Mapping[str, object] | None, image_uri: str, target: Architecture) -> list[str]:
    """An image can switch only when its tag names an index with a Linux manifest for ``target``."""
    if index is None:
        return [f"the image {image_uri} could not be read from its repository (ECR BatchGetImage)"]
    if index.get("mediaType") not in IMAGE_INDEX_TYPES:
        return [f"the image {image_uri} is a single-architecture image, with no manifest for {target.value}"]
    if image_platform_digest(index, target) is None:
        return [f"the image {image_uri}'s index holds no linux/{target.value} manifest"]
    return []
