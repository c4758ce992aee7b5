/** The member's points (积分): balance, ledger and the daily check-in (points are spent in the mall). */
import { api } from '../session'

/** `GET /v1/me/points`: available, pending, expiring by date, lifetime counters. */
export const balance = () => api.get('/me/points')

/** `GET /v1/me/points/ledger`, newest first: `{items, next_cursor}`. */
export const ledger = (cursor, limit = 20) => api.get('/me/points/ledger', { cursor, limit })

/** `POST /v1/me/check-ins`: today's check-in (签到), once per business day. */
export const checkIn = () => api.post('/me/check-ins')

/** `GET /v1/me/points/rules`: `{version, lines, expiry, cash}`, how points are earned now, in words (积分规则). */
export const pointsRules = () => api.get('/me/points/rules')
