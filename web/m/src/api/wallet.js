/** The member's stored value (储值): balance and entries. */
import { api } from '../session'

/** `GET /v1/me/wallet`: `{principal_fen, bonus_fen, total_fen, max_balance_fen}`. */
export const wallet = () => api.get('/me/wallet')

/** `GET /v1/me/wallet/entries`, newest first: `{items, next_cursor}`. */
export const entries = (cursor, limit = 20) => api.get('/me/wallet/entries', { cursor, limit })

/** `POST /v1/me/gift-cards/redemptions` `{card_number, pin}`: a gift card's balance into the wallet as principal (404
 * for a number and PIN that name no card, 409 `gift-card-not-redeemable` with `reason`, 429 after too many misses). */
export const bindGiftCard = (cardNumber, pin) => api.post('/me/gift-cards/redemptions', { card_number: cardNumber, pin })
