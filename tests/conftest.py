"""Test settings: fake credentials and a stage of our own, set before any application module is imported."""

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="cn-north-1",
    LOYALTY_STAGE="test",
    LOYALTY_STORAGE="emulator",
    LOYALTY_TABLE_PREFIX="loyalty-test",
    LOYALTY_EVENTS_TOPIC_ARN="arn:aws-cn:sns:cn-north-1:123456789012:loyalty-test-events",
    LOYALTY_JOBS_QUEUE_URL="https://sqs.cn-north-1.amazonaws.com.cn/123456789012/loyalty-test-jobs",
    LOYALTY_CURSOR_SECRET="test-cursor-secret-test-cursor-secret",
    LOYALTY_CORS_ORIGINS="https://console.example",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(name, None)
