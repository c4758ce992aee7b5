/** The member's feedback (意见反馈), which staff read and answer in the back office. */
import { api } from '../session'

export const CATEGORIES = ['suggestion', 'complaint', 'praise', 'other']

/** `POST /v1/me/feedback` with `{category, text (1–1000 characters, one line), contact_ok}`; 429 past 5 a day.
 * `key`, one per message the member means to send, makes a retried submit count once. */
export const send = (body, key) => api.post('/me/feedback', body, { 'Idempotency-Key': key })

/** `GET /v1/me/feedback`: the member's own messages, newest first, each with `status` and staff's `reply`. */
export const mine = (cursor, limit = 20) => api.get('/me/feedback', { cursor, limit })
