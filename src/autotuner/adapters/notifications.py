"""Publishing results to the SNS topic."""

from typing import TYPE_CHECKING

from autotuner.adapters.clients import sns_client
from autotuner.domain.inputs.arn import parse_arn

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 100  # SNS rejects longer subjects
MESSAGE_LIMIT = 256 * 1024


class TopicNotifier:
    def __init__(self, topic_arn: str, client: "SNSClient | None" = None) -> None:
        self.topic_arn = topic_arn
        self._client = client or sns_client(parse_arn(topic_arn, service="sns").region)

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        """Publish; the message attributes let subscribers filter by function and outcome."""
        encoded = message.encode()
        if len(encoded) > MESSAGE_LIMIT:
            message = encoded[: MESSAGE_LIMIT - 200].decode(errors="ignore") + "\n[truncated to fit SNS's 256 KB]"
        response = self._client.publish(
            TopicArn=self.topic_arn,
            Subject=_printable(subject)[:SUBJECT_LIMIT],
            Message=message,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
            },
        )
        return response["MessageId"]


def _printable(text: str) -> str:
    """SNS subjects must be ASCII printable without line breaks."""
    return "".join(c if 32 <= ord(c) < 127 else " " for c in text).strip() or "Lambda Autotuner"
