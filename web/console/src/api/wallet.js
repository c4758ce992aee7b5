/** A member's stored value (储值): balance, entries, a payment at the counter. */
import { api } from '../session'

export const walletOf = (memberId) => api.get(`/members/${memberId}/wallet`)
export const walletEntries = (memberId, cursor) => api.get(`/members/${memberId}/wallet/entries`, { cursor })
export const payFromWallet = (memberId, body, key) =>
  api.post(`/members/${memberId}/wallet/payments`, body, { 'Idempotency-Key': key })
