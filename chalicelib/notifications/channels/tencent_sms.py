"""Tencent Cloud SMS (SendSms, API version 2021-01-11) through Tencent's own SDK, imported on first send.

A message is a template approved in Tencent's console (``provider_template`` is its TemplateId) with its
variables filled in order. The SDK signs each request (TC3-HMAC-SHA256). A request fails as a whole for
problems of the account, the template or the signature, and number by number (``SendStatusSet``) for problems
of the number: both read through one table of Tencent's documented codes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.notifications.channels.delivery import (
    Delivery,
    Failure,
    Rejected,
    Throttled,
    Transient,
    failure_for,
)

SENT = "Ok"
# A code's own entry wins over its prefix's (LimitExceeded.PhoneNumberDailyLimit before LimitExceeded).
ERRORS = {
    "LimitExceeded": Failure(Throttled, "throttled"),
    "LimitExceeded.PhoneNumberThirtySecondLimit": Failure(Throttled, "throttled", retry_after=30),
    "LimitExceeded.PhoneNumberOneHourLimit": Failure(Throttled, "throttled", retry_after=3600),
    "LimitExceeded.PhoneNumberCountLimit": Failure(Rejected, "provider-error"),
    "RequestLimitExceeded": Failure(Throttled, "throttled", retry_after=1),
    "InvalidParameterValue.IncorrectPhoneNumber": Failure(Rejected, "invalid-address"),
    "UnsupportedOperation.UnsupportedRegion": Failure(Rejected, "invalid-address"),
    "FailedOperation.TemplateIncorrectOrUnapproved": Failure(Rejected, "template-not-approved"),
    "FailedOperation.SignatureIncorrectOrUnapproved": Failure(Rejected, "template-not-approved"),
    "FailedOperation.MissingTemplateToModify": Failure(Rejected, "template-not-approved"),
    "FailedOperation.PhoneNumberInBlacklist": Failure(Rejected, "opted-out"),
    "InternalError": Failure(Transient, "provider-unavailable"),
    "ClientNetworkError": Failure(Transient, "network"),  # the SDK's own: no answer
    "ServerNetworkError": Failure(Transient, "provider-unavailable"),  # the SDK's own: an answer other than 200
    "AuthFailure": Failure(Rejected, "provider-error"),
}


@dataclass(frozen=True)
class TencentAccount:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    region: str = "ap-guangzhou"


def send_sms_request(delivery: Delivery, account: TencentAccount) -> dict[str, Any]:
    """SendSms's parameters for one message: our message id rides along as SessionContext (echoed back in the
    answer and in delivery receipts)."""
    if not delivery.provider_template:
        raise Rejected("not-configured", "Tencent SMS sends approved templates only: provider_template is missing")
    return {
        "PhoneNumberSet": [delivery.address],
        "SmsSdkAppId": account.sdk_app_id,
        "SignName": account.sign_name,
        "TemplateId": delivery.provider_template,
        "TemplateParamSet": [value for _, value in delivery.params],
        "SessionContext": delivery.message_id,
    }


def serial_number(answer: dict[str, Any]) -> str:
    """The SerialNo of the one number sent to, or the failure its status code stands for."""
    statuses = answer.get("SendStatusSet") or []
    if len(statuses) != 1:
        raise Transient("provider-unavailable", f"SendStatusSet holds {len(statuses)} statuses, not 1")
    status = statuses[0]
    if status.get("Code") != SENT:
        raise failure_for(str(status.get("Code")), ERRORS, str(status.get("Message", "")))
    return str(status["SerialNo"])


class TencentSms:
    name = "tencent-sms"

    def __init__(self, account: TencentAccount, endpoint: str | None = None) -> None:
        self.account = account
        self.endpoint = endpoint

    def send(self, delivery: Delivery) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        params = send_sms_request(delivery, self.account)
        try:
            answer = self._client.call_json("SendSms", params)
        except TencentCloudSDKException as e:
            raise failure_for(str(e.get_code()), ERRORS, str(e.get_message())) from e
        return serial_number(answer["Response"])

    @functools.cached_property
    def _client(self) -> Any:
        """The SDK's client, made on first send (its import is the SDK's cost, paid only where it sends)."""
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        http = HttpProfile(reqTimeout=10)
        if self.endpoint:
            base = urlsplit(self.endpoint)
            http = HttpProfile(protocol=base.scheme, endpoint=base.netloc, reqTimeout=10)
        credential = Credential(self.account.secret_id, self.account.secret_key)
        return SmsClient(credential, self.account.region, ClientProfile(httpProfile=http))
