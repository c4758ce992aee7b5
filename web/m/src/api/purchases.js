/** The member's consumption history (消费记录). */
import { api } from '../session'

/** `GET /v1/me/purchases`, newest first: `{items, next_cursor}`. */
export const purchases = (cursor, limit = 20) => api.get('/me/purchases', { cursor, limit })
