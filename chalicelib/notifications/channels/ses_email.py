"""Email through Amazon SES (API v2, simple content: SES builds the MIME message). SES is not offered in the
China regions: a stage there names another region's SES (``LOYALTY_EMAIL_REGION``) or keeps email off."""

from __future__ import annotations

from typing import Any

from chalicelib.notifications.channels.aws import aws_failure, client
from chalicelib.notifications.channels.delivery import Delivery, Failure, Rejected, Throttled, Transient

ERRORS = {
    "MessageRejected": Failure(Rejected, "provider-error"),
    "MailFromDomainNotVerifiedException": Failure(Rejected, "not-configured"),
    "NotFoundException": Failure(Rejected, "not-configured"),
    "AccountSuspendedException": Failure(Rejected, "provider-error"),
    "SendingPausedException": Failure(Rejected, "provider-error"),
    "BadRequestException": Failure(Rejected, "provider-error"),
    "TooManyRequestsException": Failure(Throttled, "throttled", retry_after=1),
    "Throttling": Failure(Throttled, "throttled", retry_after=1),
    "LimitExceededException": Failure(Throttled, "throttled"),
    "InternalFailure": Failure(Transient, "provider-unavailable"),
    "ServiceUnavailable": Failure(Transient, "provider-unavailable"),
}
ONE_CLICK = "List-Unsubscribe=One-Click"


def send_email_request(delivery: Delivery, sender: str) -> dict[str, Any]:
    """SendEmail's parameters. A message with an unsubscribe link carries it as ``List-Unsubscribe`` with
    ``List-Unsubscribe-Post`` (RFC 8058 one-click): mail providers then show their own unsubscribe button, and
    Gmail and Yahoo require it of bulk senders; the text ends with the page a reader confirms it on. Our message id
    is an email tag, so SES events name it."""
    text = delivery.text
    if delivery.unsubscribe_page:
        label = "退订" if delivery.language.startswith("zh") else "Unsubscribe"
        text = f"{text}\n\n{label}: {delivery.unsubscribe_page}"
    simple: dict[str, Any] = {
        "Subject": {"Data": delivery.subject or "", "Charset": "UTF-8"},
        "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
    }
    if delivery.unsubscribe_url:
        simple["Headers"] = [
            {"Name": "List-Unsubscribe", "Value": f"<{delivery.unsubscribe_url}>"},
            {"Name": "List-Unsubscribe-Post", "Value": ONE_CLICK},
        ]
    return {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [delivery.address]},
        "Content": {"Simple": simple},
        "EmailTags": [{"Name": "message_id", "Value": delivery.message_id}],
    }


class SesEmail:
    name = "ses"

    def __init__(self, sender: str, region: str | None = None) -> None:
        self.sender = sender
        self.region = region

    def send(self, delivery: Delivery) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client("sesv2", self.region).send_email(**send_email_request(delivery, self.sender))
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, ERRORS) from e
        return str(answer["MessageId"])
