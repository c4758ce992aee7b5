/** The member's feedback (意见反馈), which staff read and answer in the back office. */
import { api } from '../session'

export const CATEGORIES = ['suggestion', 'complaint', 'praise', 'other']

/** `POST /v1/me/feedback` with `{category, text (≤ 1000), contact_ok}`. */
export const send = (body) => api.post('/me/feedback', body)

/** `GET /v1/me/feedback`: the member's own feedback with staff replies, newest first. */
export const mine = (cursor, limit = 20) => api.get('/me/feedback', { cursor, limit })
