"""When each scheduled job runs: EventBridge cron expressions in UTC, in the order a night runs them.

The jobs take their schedule from here, and so do the Lambda functions that run them
(``chalicelib.platform.handlers``), which can then be declared without importing the jobs' domains.
"""

EXPIRE_POINTS = "cron(5 16 * * ? *)"  # 00:05 Asia/Shanghai: the day just ended
MATURE_PENDING_POINTS = "cron(10 16 * * ? *)"
EXPIRE_COUPONS = "cron(15 16 * * ? *)"  # 00:15 Asia/Shanghai, for the day that begins
VOID_COUPONS = "cron(30 16 * * ? *)"
COUPON_BATCHES = "cron(45 16 * * ? *)"
RECALCULATE_TIERS = "cron(20 16 * * ? *)"  # 00:20 Asia/Shanghai, after the points jobs
SETTLE_MEMBERSHIP_CARDS = "cron(25 16 * * ? *)"  # 00:25: lapses and packs for the day that begins (reminders wait
# in the notifications policy's quiet hours until the morning)
GIVE_BIRTHDAY_GIFTS = "cron(35 16 * * ? *)"  # 00:35, for the day that begins (after the tiers' review); its
# messages wait through the quiet hours
EXPORT_BI = "cron(50 16 * * ? *)"  # 00:50 Asia/Shanghai: the day that ended, its events landed (seconds behind)
PURGE_IDEMPOTENCY_RECORDS = "cron(0 18 * * ? *)"  # 02:00 Asia/Shanghai
RECONCILE_LEDGER = "cron(0 19 * * ? *)"  # 03:00 Asia/Shanghai, after the other nightly jobs
CHECK_FIGURES = "cron(30 19 * * ? *)"  # 03:30: the day that ended, its events counted by then (seconds behind)
POINTS_EXPIRY_REMINDERS = "cron(0 1 * * ? *)"  # 09:00 Asia/Shanghai, when people read messages
EXPIRE_UNCOLLECTED_MALL_ORDERS = "cron(40 16 * * ? *)"  # 00:40 Asia/Shanghai: pickups waiting too long
RELEASE_UNPAID_MALL_ORDERS = "rate(5 minutes)"  # points + cash orders wait 30 minutes (by default) for cash
RELEASE_HELD_MESSAGES = "rate(15 minutes)"  # messages held through the quiet hours go out as they end
