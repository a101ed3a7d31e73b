"""The base of every model that crosses a state boundary."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """Serialises with camelCase names, as Step Functions documents conventionally are; accepts either.

    Each model's validator is built on its first use, not at import (defer_build): every step's Lambda imports the
    documents of every step, and builds on a cold start only those it reads and writes."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, defer_build=True
    )
