/** A member's points: balance, ledger, adjustments, redemptions and their reversal. */
import { api } from '../session'

export const pointsOf = (memberId) => api.get(`/members/${memberId}/points`)
export const ledgerOf = (memberId, cursor) => api.get(`/members/${memberId}/points/ledger`, { cursor })
export const adjustPoints = (memberId, body, key) =>
  api.post(`/members/${memberId}/points/adjustments`, body, { 'Idempotency-Key': key })
export const redeemPoints = (memberId, body, key) =>
  api.post(`/members/${memberId}/points/redemptions`, body, { 'Idempotency-Key': key })
export const reverseRedemption = (memberId, redemptionId, reason, key) =>
  api.post(`/members/${memberId}/points/redemptions/${redemptionId}/reversal`, { reason }, { 'Idempotency-Key': key })

/** A bulk adjustment (批量调整积分, head office): up to 500 rows, each applied once for good under the batch's name. */
export const adjustBatch = (body) => api.post('/points/adjustment-batches', body)
