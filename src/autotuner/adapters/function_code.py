"""A function's code package: downloaded from GetFunction's code location (checked against its CodeSha256), read
for native binaries, and staged in S3 when it is too large for Lambda's direct upload."""

import base64
import hashlib
import io
import urllib.parse
import urllib.request
import zipfile
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import s3_client
from autotuner.adapters.errors import AwsError, describe
from autotuner.domain.inputs.portability import ELF_HEADER_BYTES, ELF_MAGIC

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Lambda unzips at most 250 MB; a zipped package is smaller. Anything larger is not a Lambda package.
MAX_PACKAGE_BYTES = 250 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 120
STAGING_PREFIX = "autotuner-code/"


class CodePackageError(AwsError):
    """The function's code could not be downloaded, or is not what Lambda says it is."""


def code_sha256(package: bytes) -> str:
    """CodeSha256 as Lambda reports it: the package's SHA-256, base64."""
    return base64.b64encode(hashlib.sha256(package).digest()).decode()


def download_code(location: str, expected_sha256: str, *, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """The package at GetFunction's Code.Location (a presigned URL, valid for minutes), refused unless its SHA-256 is
    the CodeSha256 Lambda reported: only the exact bytes may be uploaded again."""
    scheme = urllib.parse.urlsplit(location).scheme
    if scheme not in {"https", "http"}:
        raise CodePackageError(f"the code location is not an http(s) URL (scheme {scheme!r})")
    try:
        with urllib.request.urlopen(location, timeout=timeout_s) as response:  # noqa: S310 - scheme checked above
            package: bytes = response.read(MAX_PACKAGE_BYTES + 1)
    except OSError as error:
        raise CodePackageError(f"downloading the function's code failed: {error}") from error
    if len(package) > MAX_PACKAGE_BYTES:
        raise CodePackageError(f"the function's code is larger than {MAX_PACKAGE_BYTES // 1024 // 1024} MB")
    found = code_sha256(package)
    if found != expected_sha256:
        raise CodePackageError(
            f"the downloaded code's SHA-256 is {found}, not the CodeSha256 Lambda reports ({expected_sha256})"
        )
    return package


def elf_headers(package: bytes) -> dict[str, bytes]:
    """The first bytes of every ELF file in a zip package, by path: its native binaries (.so files and
    executables), for the domain to read which machine each is built for."""
    headers: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            for member in archive.infolist():
                if member.is_dir() or member.file_size < ELF_HEADER_BYTES:
                    continue
                with archive.open(member) as content:
                    head = content.read(ELF_HEADER_BYTES)
                if head.startswith(ELF_MAGIC):
                    headers[member.filename] = head
    except zipfile.BadZipFile as error:
        raise CodePackageError(f"the function's code is not a zip archive: {error}") from error
    return headers


class CodeStaging:
    """The stack's bucket for packages above Lambda's direct-upload limit (in the function's region)."""

    def __init__(self, bucket: str, region: str | None, s3: "S3Client | None" = None) -> None:
        self.bucket = bucket
        self._s3 = s3 or s3_client(region)

    def put(self, package: bytes) -> str:
        """Upload ``package`` under a key named by its SHA-256 (so a retry writes the same object); its key."""
        key = STAGING_PREFIX + hashlib.sha256(package).hexdigest() + ".zip"
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=package)
        except ClientError as error:
            raise AwsError(f"staging the function's code in s3://{self.bucket}: {describe(error)}") from error
        return key

    def delete(self, key: str) -> None:
        """Lambda has copied the package once the update is done; the staged copy goes."""
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            raise AwsError(f"deleting s3://{self.bucket}/{key}: {describe(error)}") from error
