"""Push notifications through Amazon SNS mobile push: a device is an SNS platform endpoint (its address), made
from the token the app reports, on the platform application of its push service (APNs or FCM)."""

from __future__ import annotations

import json
import re

from chalicelib.notifications.channels.aws import aws_failure, client
from chalicelib.notifications.channels.delivery import Delivery, Failure, Rejected, Throttled, Transient
from chalicelib.shared.settings import get_settings

ERRORS = {
    "EndpointDisabled": Failure(Rejected, "invalid-address"),
    "NotFound": Failure(Rejected, "invalid-address"),
    "InvalidParameter": Failure(Rejected, "provider-error"),
    "PlatformApplicationDisabled": Failure(Rejected, "not-configured"),
    "Throttled": Failure(Throttled, "throttled"),
    "Throttling": Failure(Throttled, "throttled"),
    "InternalError": Failure(Transient, "provider-unavailable"),
    "AuthorizationError": Failure(Rejected, "provider-error"),
}
_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:[^ ]+) already exists")


def push_message(delivery: Delivery) -> str:
    """The message as SNS takes it for every platform at once (MessageStructure json): each push service's
    payload carries the title, the body and the page the app opens."""
    data = {"message_id": delivery.message_id, **({"page": delivery.page} if delivery.page else {})}
    apns = {"aps": {"alert": {"title": delivery.subject or "", "body": delivery.text}}, **data}
    fcm = {"notification": {"title": delivery.subject or "", "body": delivery.text}, "data": data}
    return json.dumps(
        {"default": delivery.text, "APNS": json.dumps(apns), "APNS_SANDBOX": json.dumps(apns), "GCM": json.dumps(fcm)},
        ensure_ascii=False,
    )


class SnsPush:
    name = "sns-push"

    def send(self, delivery: Delivery) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client("sns").publish(
                TargetArn=delivery.address, MessageStructure="json", Message=push_message(delivery)
            )
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, ERRORS) from e
        return str(answer["MessageId"])


def register_device(platform: str, token: str, member_id: str) -> str:
    """The endpoint ARN of a member's device. Registering a token again answers the same endpoint; a token that
    changed hands, or whose endpoint SNS disabled, is given to ``member_id`` and enabled again (the create, read
    the existing ARN, update sequence AWS documents for mobile push tokens)."""
    from botocore.exceptions import ClientError

    application = get_settings().push_applications.get(platform)
    if application is None:
        raise Rejected("not-configured", f"no push application for {platform!r}")
    sns = client("sns")
    try:
        return str(
            sns.create_platform_endpoint(PlatformApplicationArn=application, Token=token, CustomUserData=member_id)[
                "EndpointArn"
            ]
        )
    except ClientError as e:
        existing = _EXISTING_ENDPOINT.search(e.response.get("Error", {}).get("Message", ""))
        if e.response.get("Error", {}).get("Code") != "InvalidParameter" or existing is None:
            raise
    arn = existing.group(1)
    sns.set_endpoint_attributes(
        EndpointArn=arn, Attributes={"Token": token, "CustomUserData": member_id, "Enabled": "true"}
    )
    return arn


def forget_device(endpoint_arn: str) -> None:
    """Delete a device's endpoint (deleting one already gone succeeds: SNS's delete is idempotent)."""
    client("sns").delete_endpoint(EndpointArn=endpoint_arn)
