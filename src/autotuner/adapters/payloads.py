"""Payloads kept in S3 (payloadS3), for targets whose payload is too large for the state machine's input."""

import json
import re
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import s3_client
from autotuner.adapters.errors import (
    ACCESS_DENIED_CODES,
    NOT_FOUND_CODES,
    AccessDeniedError,
    PayloadNotFoundError,
    describe,
    is_code,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")


class S3PayloadSource:
    def __init__(self, client: "S3Client | None" = None, *, remember: bool = False) -> None:
        self._client = client or s3_client()
        self._read: dict[str, object] | None = {} if remember else None

    def fetch(self, uri: str) -> object:
        """The object's JSON, or its text when it is not JSON (as the reference tool does); read once when the
        source remembers what it read."""
        if self._read is None:
            return self._get(uri)
        if uri not in self._read:
            self._read[uri] = self._get(uri)
        return self._read[uri]

    def _get(self, uri: str) -> object:
        match = _S3_URI.match(uri)
        if match is None:
            raise PayloadNotFoundError(f"payloadS3: {uri!r} is not an s3://bucket/key URI")
        bucket, key = match["bucket"], match["key"]
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except ClientError as error:
            if is_code(error, *NOT_FOUND_CODES):
                raise PayloadNotFoundError(f"payloadS3: {uri} does not exist ({describe(error)})") from error
            if is_code(error, *ACCESS_DENIED_CODES):
                raise AccessDeniedError(
                    f"payloadS3: access to {uri} is denied; deploy the stack with PayloadS3Bucket={bucket}"
                ) from error
            raise
        try:
            return json.loads(body)
        except json.JSONDecodeError:
            return body
