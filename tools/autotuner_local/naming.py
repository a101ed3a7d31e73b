"""Names and tags as CloudFormation gives them to the resources of a stack that does not name them itself.

The generated name is ``<stack>-<logical id>-<12 random letters and digits>``: 13 characters are kept for the
dash and the suffix, one for the dash between the two parts, and what is left of the service's limit (64 for a
Lambda function or an IAM role: 50) is split fairly between the stack name and the logical id, each shortened to
its share. This is the rule of AWS's CloudFormation resource-provider library (``IdentifierUtils
.generateResourceIdentifier`` of cloudformation-cli-java-plugin). A stack deployed from the Serverless Application
Repository (``serverlessrepo-lambda-autotuner``, 31 characters) therefore gets functions such as
``serverlessrepo-lambda-autotun-ReportFailureFunction-…``, whose names do not start with the stack's name.

The suffix is random in AWS; here it is derived from the stack's name, region and the logical id, so a run is
reproducible.
"""

import hashlib
import re

SUFFIX_LENGTH = 12
_RESERVED = SUFFIX_LENGTH + 1  # the suffix and the dash before it
_MIN_SEPARATED_LENGTH = 17  # below this CloudFormation joins the two parts without a dash
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

STACK_NAME_TAG = "aws:cloudformation:stack-name"
STACK_ID_TAG = "aws:cloudformation:stack-id"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
SAM_TAGS = {"lambda:createdBy": "SAM"}  # what SAM adds to every function it transforms


def generated_name(stack_name: str, logical_id: str, *, region: str, limit: int = 64) -> str:
    """CloudFormation's name for ``logical_id`` in the stack ``stack_name``, at most ``limit`` characters."""
    clean = re.sub("-{2,}", "-", stack_name.lstrip("-"))
    separate = limit > _MIN_SEPARATED_LENGTH
    stack_share, logical_share = fair_split(limit - _RESERVED - int(separate), [len(clean), len(logical_id)])
    prefix = clean[:stack_share] + ("-" if separate else "") + logical_id[:logical_share]
    return f"{prefix[: limit - _RESERVED]}-{_suffix(f'{region}/{stack_name}/{logical_id}')}"


def fair_split(capacity: int, wanted: list[int]) -> list[int]:
    """Share ``capacity`` between parts wanting ``wanted`` characters: in rounds, each part unsatisfied takes an
    equal share (at least one), until the capacity is spent or every part has what it wants."""
    given = [0] * len(wanted)
    remaining = capacity
    while remaining > 0:
        share = 1 if remaining < len(wanted) else remaining // len(wanted)
        satisfied = 0
        for index, want in enumerate(wanted):
            if given[index] < want:
                taken = min(share, want - given[index])
                given[index] += taken
                remaining -= taken
            else:
                satisfied += 1
            if remaining <= 0 or satisfied == len(wanted):
                return given
    return given


def cloudformation_tags(stack_name: str, stack: str, logical_id: str) -> dict[str, str]:
    """The tags CloudFormation puts on every resource it creates that takes tags."""
    return {STACK_NAME_TAG: stack_name, STACK_ID_TAG: stack, LOGICAL_ID_TAG: logical_id}


def _suffix(seed: str) -> str:
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest())
    characters = []
    for _ in range(SUFFIX_LENGTH):
        number, index = divmod(number, len(_ALPHABET))
        characters.append(_ALPHABET[index])
    return "".join(characters)
