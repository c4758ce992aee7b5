/** A member's stored value (储值): balance, entries, a payment at the counter. */
import { api } from '../session'

export const walletOf = (memberId) => api.get(`/members/${memberId}/wallet`)
export const walletEntries = (memberId, cursor) => api.get(`/members/${memberId}/wallet/entries`, { cursor })
export const payFromWallet = (memberId, body, key) =>
  api.post(`/members/${memberId}/wallet/payments`, body, { 'Idempotency-Key': key })
/** Pay principal out in cash (退卡/退余额): `{store_id, amount_fen?, reason}`, once per key (finance). */
export const cashRefund = (memberId, body, key) =>
  api.post(`/members/${memberId}/wallet/cash-refunds`, body, { 'Idempotency-Key': key })
/** 储值充值 at the till: once per store and till order (a repeat answers the first top-up). */
export const topUpAtCounter = (memberId, body) => api.post(`/members/${memberId}/wallet/top-ups`, body)
/** A counter payment and what is left of it to refund: `{order_id, paid, refundable, refundable_fen, store_id, paid_at}`. */
export const counterPayment = (memberId, paymentId) => api.get(`/members/${memberId}/wallet/payments/${paymentId}`)
/** A counter payment given back to the wallet (`wallet:refund`): `{amount_fen, reason}`, once per key. */
export const refundPayment = (memberId, paymentId, body, key) =>
  api.post(`/members/${memberId}/wallet/payments/${encodeURIComponent(paymentId)}/refunds`, body, { 'Idempotency-Key': key })
/** A business day's stored-value statement, for the chain (`storeId` null) or one store (finance). */
export const statement = (day, storeId, to) => api.get('/wallet/statements', { day, ...(to ? { to } : {}), ...(storeId ? { store_id: storeId } : {}) })
