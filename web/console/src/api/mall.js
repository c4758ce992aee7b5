/** The points mall (积分商城): rewards (terms, stock, stopping), orders and their fulfilment (ship, complete, cancel,
 * after-sale refund), pickup codes verified at the counter (核销), a member's orders. Money is in fen. */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** A page of rewards, newest first: `{items, next_cursor}`, each with `stock`, `stocked`, `sold`, `status`,
 * `on_sale_now` and `version` (`mall:manage`). */
export const listRewards = (params) => api.get('/mall/rewards', params)

/** The rewards members exchange most (兑换排行): `{items: [{reward_id, name, sold, …}]}`, the most first. */
export const rewardRanking = (limit) => api.get('/mall/rewards/ranking', { limit })

/** One reward and its ETag: `{body, etag}`. */
export const getReward = (rewardId) => api.getVersioned(`/mall/rewards/${path(rewardId)}`)

/** Put a reward on sale, once per `key` (an Idempotency-Key kept across retries of one intended reward). */
export const createReward = (reward, key) => api.post('/mall/rewards', reward, { 'Idempotency-Key': key })

/** A merge patch of a reward (terms, pictures, description; `status`: `stopped` 停售 / `on_sale` 上架; `add_stock`
 * 补货, negative withdraws), `If-Match` its version: a retried patch is 412 and adds nothing twice. */
export const patchReward = (rewardId, patch, version) =>
  api.patch(`/mall/rewards/${path(rewardId)}`, patch, { 'If-Match': `"${version}"` })

/** A page of orders, newest first, of a `status` and collected at a `store_id` (staff scoped to stores must name
 * one of theirs): `{items, next_cursor}` (`mall:fulfil`). */
export const listOrders = (params) => api.get('/mall/orders', params)

/** An order with its payment and history; the address whole with `pii:read` (the read is audited). */
export const getOrder = (orderId) => api.get(`/mall/orders/${path(orderId)}`)

/** Hand shipped goods to a carrier (发货): pending → shipped; the same shipment again answers the order. */
export const shipOrder = (orderId, carrier, trackingNo) =>
  api.post(`/mall/orders/${path(orderId)}/shipment`, { carrier, tracking_no: trackingNo })

/** Shipped goods were delivered (签收): the order is completed. */
export const completeOrder = (orderId) => api.post(`/mall/orders/${path(orderId)}/completion`)

/** Cancel an order not yet fulfilled, with a reason the member reads: points, stock and the limit's count back. */
export const cancelOrder = (orderId, reason) => api.post(`/mall/orders/${path(orderId)}/cancellation`, { reason })

/** Refund shipped or completed goods after sale (售后退款): as a cancellation, once. */
export const refundOrder = (orderId, reason) => api.post(`/mall/orders/${path(orderId)}/refund`, { reason })

/** Verify a pickup code at one of the caller's stores (核销): the order is completed, exactly once. */
export const verifyPickup = (code, storeId) => api.post('/mall/pickups', { code, store_id: storeId })

/** A page of a member's orders, newest first (addresses masked). */
export const memberOrders = (memberId, params) => api.get(`/members/${path(memberId)}/mall/orders`, params)
