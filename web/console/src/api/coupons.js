/** Coupons (优惠券): templates, issuing to a member, a member's coupons, the till (eligibility, redemption and its
 * reversal, a coupon's history) and the liability. Money is in fen; `rules` come in words, in the app's language. */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** A page of templates, newest first, of a `status` (issuing, stopped, voided) or all: `{items, next_cursor}`. */
export const listTemplates = (params) => api.get('/coupons/templates', params)

/** One template and its ETag (its version): `{body, etag}`. */
export const getTemplate = (templateId) => api.getVersioned(`/coupons/templates/${path(templateId)}`)

/** Create a template (`coupons:manage`), once per `key` (an Idempotency-Key kept across retries of one intent). */
export const createTemplate = (template, key) => api.post('/coupons/templates', template, { 'Idempotency-Key': key })

/** A merge patch of a template (`name`, `description`, `claimable`, or `status`: `stopped` 停发 / `voided` 作废),
 * `If-Match` its version (412 when someone changed it since). */
export const patchTemplate = (templateId, patch, version) =>
  api.patch(`/coupons/templates/${path(templateId)}`, patch, { 'If-Match': `"${version}"` })

/** Issue one coupon of a template to a member, once per `source_id` (the same id again answers the same coupon,
 * with `duplicate: true`). */
export const issueCoupon = (templateId, memberId, sourceId) =>
  api.post(`/coupons/templates/${path(templateId)}/issues`, { member_id: memberId, source_id: sourceId })

/** What the usable coupons stand for, per template and in total (`reports:read`). */
export const liability = () => api.get('/coupons/liability')

/** A page of a member's coupons, of a `status` (available, reserved, used, expired, voided) or all. */
export const memberCoupons = (memberId, params) => api.get(`/members/${path(memberId)}/coupons`, params)

/** The member's coupons that fit an order (`usable`, best discount first) and those that do not, each with its reason. */
export const eligibility = (memberId, order, orderId) =>
  api.post('/coupons/eligibility', orderId ? { member_id: memberId, order, order_id: orderId } : { member_id: memberId, order })

/** A coupon and its history (`{coupon, entries}`, oldest first), by its code. */
export const couponByCode = (code) => api.get(`/coupons/${path(code)}`)

/** Use a coupon on an order (核销), once per code: the same order again answers the same redemption. */
export const redeemCoupon = (code, orderId, order, memberCode) =>
  api.post(`/coupons/${path(code)}/redemptions`, { order_id: orderId, order, ...(memberCode ? { member_code: memberCode } : {}) })

/** Give a used coupon back (`reason`: refund 退款退券, mistake 撤销核销): answers the coupon. */
export const reverseRedemption = (code, orderId, reason, note) =>
  api.post(`/coupons/${path(code)}/redemptions/${path(orderId)}/reversal`, note ? { reason, note } : { reason })

/** Start a bulk issue of a template (`coupons:manage`): `{kind: 'codes', count}` makes bearer codes at once;
 * `{kind: 'members'}` answers `upload` ({url, method, headers}) for a CSV of members to PUT, then `startBatch`. */
export const createBatch = (templateId, body) => api.post(`/coupons/templates/${path(templateId)}/batches`, body)

/** Issue to the rows of the uploaded CSV, as a job; answers the batch with its run's report. */
export const startBatch = (batchId) => api.post(`/coupons/batches/${path(batchId)}/start`)

/** A batch, its parts done and its report (`tallies`: issued, duplicate, unknown-member …). */
export const getBatch = (batchId) => api.get(`/coupons/batches/${path(batchId)}`)

/** A page of a codes batch's codes: `{items, next_cursor}`. */
export const batchCodes = (batchId, params) => api.get(`/coupons/batches/${path(batchId)}/codes`, params)
