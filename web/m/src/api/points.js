/** The member's points (积分): balance, ledger, redemptions and the daily check-in. */
import { api } from '../session'

/** `GET /v1/me/points`: available, pending, expiring by date, lifetime counters. */
export const balance = () => api.get('/me/points')

/** `GET /v1/me/points/ledger`, newest first: `{items, next_cursor}`. */
export const ledger = (cursor, limit = 20) => api.get('/me/points/ledger', { cursor, limit })

/** `POST /v1/members/{id}/points/redemptions` with `{points, reason}`; `key` is the Idempotency-Key, the same
 * for every retry of one intended redemption. */
export const redeem = (memberId, body, key) =>
  api.post(`/members/${encodeURIComponent(memberId)}/points/redemptions`, body, { 'Idempotency-Key': key })

/** `POST /v1/me/check-ins`: today's check-in (签到), once per business day. */
export const checkIn = () => api.post('/me/check-ins')
