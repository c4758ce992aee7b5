/** The member's stored value (储值): balance and entries. */
import { api } from '../session'

/** `GET /v1/me/wallet`: `{principal_fen, bonus_fen, total_fen, max_balance_fen}`. */
export const wallet = () => api.get('/me/wallet')

/** `GET /v1/me/wallet/entries`, newest first: `{items, next_cursor}`. */
export const entries = (cursor, limit = 20) => api.get('/me/wallet/entries', { cursor, limit })
