/** Members: list and search (manage), lookup and counter view (serve), register, read, edit with If-Match, erase. */
import { api } from '../session'

export const listMembers = (params) => api.get('/members', params)
/** A name (or phone, member number) search within the caller's stores: the terms travel in the body. */
export const searchMembers = (body) => api.post('/members/search', body)
export const lookupMember = (query) => api.post('/members/lookup', query)
/** Register a member (a walk-in customer at the till): the new member, 409 `phone-taken` for a known phone. */
export const registerMember = (member, key) => api.post('/members', member, { 'Idempotency-Key': key })
export const consentWording = () => api.get('/consent-wording')
/** A member's profile; `masked`: personal data masked and no read recorded (a profile opened, nothing asked to see). */
export const getMember = (memberId, { masked = false } = {}) => api.getVersioned(`/members/${memberId}${masked ? '?masked=true' : ''}`)
/** A student (学员) a desk names for a member it serves (any store), once per `key`: the student, with its id. */
export const addStudent = (memberId, student, key) => api.post(`/members/${memberId}/students`, student, { 'Idempotency-Key': key })
export const editMember = (memberId, patch, etag) => api.patch(`/members/${memberId}`, patch, { 'If-Match': etag })
export const eraseMember = (memberId) => api.delete(`/members/${memberId}`)
/** The counter view; at `storeId` (the till's), what applies there (a card of other stores gives no discount). */
/** `POST /v1/members/{id}/till-codes`: six digits texted to the member, given as their code at the till. */
export const sendTillCode = (memberId) => api.post(`/members/${memberId}/till-codes`)
export const counterView = (memberId, storeId) => api.get(`/members/${memberId}/counter`, storeId ? { store_id: storeId } : undefined)
export const memberPurchases = (memberId, cursor) => api.get(`/members/${memberId}/purchases`, { cursor })
/** A store's purchases on business days `from` through `to`, newest first: `{items, next_cursor}`. */
export const storePurchases = (storeId, params) => api.get(`/stores/${encodeURIComponent(storeId)}/purchases`, params)
/** The refunds given back at a store's till on business days `from` through `to`, whichever store made the sale. */
export const storeRefunds = (storeId, params) => api.get(`/stores/${encodeURIComponent(storeId)}/refunds`, params)
/** A store's stored-value movements on business days `from` through `to` (at most 31 days), newest first. */
export const storeWalletJournal = (storeId, params) => api.get(`/stores/${encodeURIComponent(storeId)}/wallet/journal`, params)
/** 会员卡流水: a store's cards sold and refunded at its tills, newest first (`sales:journal`), at most 31 days. */
export const storeCardJournal = (storeId, params) => api.get(`/stores/${encodeURIComponent(storeId)}/cards/journal`, params)
/** 消费记账: a purchase recorded at the till, once per till order (send the same order and time to retry). */
export const recordPurchase = (memberId, purchase) => api.post(`/members/${memberId}/purchases`, purchase)
/** A till order as the counter made it: `{purchase, wallet_payment, coupons}` (the store: the purchase's by default). */
/** The member's till orders begun today at the store and not recorded (a wallet payment or a coupon on them). */
export const openSales = (memberId, storeId) => api.get(`/members/${memberId}/open-sales`, { store_id: storeId })
export const saleOf = (memberId, orderId, storeId) => api.get(`/members/${memberId}/sales/${encodeURIComponent(orderId)}`, { store_id: storeId })
/** 消费退款 on an order recorded at the till, once per Idempotency-Key. */
export const refundPurchase = (memberId, orderId, refund, key) =>
  api.post(`/members/${memberId}/purchases/${encodeURIComponent(orderId)}/refunds`, refund, { 'Idempotency-Key': key })

/** What the counter's box holds: a phone (11 digits from 1), a member code (66…, shown by the member pages) or a
 * member number (with a digit); else null. The counter serves any member of the chain, so it looks up. */
export function lookupOf(text) {
  const value = text.trim().replace(/\s+/g, '')
  if (/^\+?(86)?1\d{10}$/.test(value)) return { phone: value }
  if (isMemberCode(value)) return { code: value }
  if (/^(?=.*\d)[0-9A-Za-z-]{4,20}$/.test(value)) return { member_no: value }
  return null
}

export const isMemberCode = (text) => /^66[0-9A-Za-z-]{4,20}\d{6}$/.test(text.trim())
