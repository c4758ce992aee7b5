"""Amazon SNS direct-to-phone SMS, for numbers outside mainland China (SNS SMS is not offered in the China
regions: there Tencent Cloud SMS carries them)."""

from __future__ import annotations

from chalicelib.notifications.channels.aws import aws_failure, client
from chalicelib.notifications.channels.delivery import Delivery, Failure, Rejected, Throttled, Transient

ERRORS = {
    "InvalidParameter": Failure(Rejected, "invalid-address"),
    "InvalidParameterValue": Failure(Rejected, "invalid-address"),
    "Throttled": Failure(Throttled, "throttled"),
    "Throttling": Failure(Throttled, "throttled"),
    "InternalError": Failure(Transient, "provider-unavailable"),
    "AuthorizationError": Failure(Rejected, "provider-error"),
}


class SnsSms:
    """Transactional SMS: SNS sends these at the higher priority and through the more reliable routes."""

    name = "sns-sms"

    def send(self, delivery: Delivery) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client("sns").publish(
                PhoneNumber=delivery.address,
                Message=delivery.text,
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
            )
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, ERRORS) from e
        return str(answer["MessageId"])
