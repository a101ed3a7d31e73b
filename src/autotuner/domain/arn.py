"""Lambda function ARNs, qualified (``name:alias`` or ``name:version``) or not."""

import re

from pydantic import BaseModel, ConfigDict

_FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"function:(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)


class FunctionArn(BaseModel):
    model_config = ConfigDict(frozen=True)

    partition: str
    region: str
    account: str
    name: str
    qualifier: str | None = None

    @property
    def unqualified(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.name}"

    def qualified(self, qualifier: str) -> str:
        return f"{self.unqualified}:{qualifier}"

    @property
    def alias(self) -> str | None:
        """The alias the ARN names, if it names one (a version number or $LATEST is not an alias)."""
        if self.qualifier is None or self.qualifier == "$LATEST" or self.qualifier.isdigit():
            return None
        return self.qualifier

    @property
    def version(self) -> str | None:
        return self.qualifier if self.qualifier is not None and self.qualifier.isdigit() else None

    def __str__(self) -> str:
        return self.qualified(self.qualifier) if self.qualifier else self.unqualified


def parse_function_arn(text: str) -> FunctionArn:
    """Parse a Lambda function ARN; a ValueError says what is wrong with it."""
    match = _FUNCTION_ARN.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a Lambda function ARN "
            "(expected arn:aws:lambda:<region>:<12-digit account>:function:<name>[:<alias or version>])"
        )
    return FunctionArn(**match.groupdict())
