/** Gift cards (礼品卡): batches printed, cards sold at the till, a card looked up. */
import { api } from '../session'

/** `{items, outstanding_fen}`: every batch, newest first (`giftcards:manage`). */
export const listBatches = () => api.get('/gift-cards/batches')

/** Make a batch (`giftcards:manage`), once per Idempotency-Key. */
export const createBatch = (batch, key) => api.post('/gift-cards/batches', batch, { 'Idempotency-Key': key })

/** A link for 15 minutes to the batch's numbers and PINs (`{file_name, url, expires_at}`). */
export const batchCodes = (batchId) => api.post(`/gift-cards/batches/${encodeURIComponent(batchId)}/codes`, {})

/** Stop selling the batch's unsold cards. */
export const voidBatch = (batchId) => api.post(`/gift-cards/batches/${encodeURIComponent(batchId)}/void`, {})

/** 售卡: `{store_id, order_id, payment_method, card_numbers}` (`giftcards:sell`); once per store and order. */
export const sellCards = (sale) => api.post('/gift-cards/sales', sale)

/** A card by its number: status, balance, sale and binding. */
export const findCard = (number) => api.get(`/gift-cards/${encodeURIComponent(number.replace(/[\s-]/g, ''))}`)

/** 延期: a card sold and not bound valid through `validUntil` (YYYY-MM-DD) (`giftcards:manage`). */
export const extendCard = (number, validUntil) => api.post(`/gift-cards/${encodeURIComponent(number)}/extension`, { valid_until: validUntil })

/** 礼品卡流水: a store's gift card sales of business days `{from, to, limit, cursor}` (`sales:journal`). */
export const storeGiftCardJournal = (storeId, params) => api.get(`/stores/${encodeURIComponent(storeId)}/gift-cards/journal`, params)
