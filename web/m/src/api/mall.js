/** The points mall (积分商城) as the member shops it: rewards on sale to their tier, exchanging points for one (积分兑换),
 * their orders, paying a points + cash order's cash part from the wallet, cancelling, confirming receipt. */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** `GET /v1/me/mall/rewards[?affordable=true]`: `{items, available_points}`, each reward with `affordable`, `in_stock`
 * and `remaining_for_member` (null without a limit). */
export const rewards = (affordable = false) => api.get('/me/mall/rewards', { affordable: affordable ? 'true' : undefined })

/** `POST /v1/me/mall/orders` `{reward_id, quantity, pickup_store_id?, address?}`: the order placed. `key` is the
 * Idempotency-Key, the same for every retry of one intended exchange (a repeat answers the same order). */
export const exchange = (body, key) => api.post('/me/mall/orders', body, { 'Idempotency-Key': key })

/** `GET /v1/me/mall/orders`, newest first: `{items, next_cursor}`. */
export const orders = (cursor, limit = 20) => api.get('/me/mall/orders', { cursor, limit })

/** `GET /v1/me/mall/orders/{id}`: the order with its pickup code (while it can be used), address and history. */
export const order = (orderId) => api.get(`/me/mall/orders/${path(orderId)}`)

/** Pay a points + cash order's cash part from the wallet (储值支付), once per order: a repeat answers the paid order. */
export const payFromWallet = (orderId) => api.post(`/me/mall/orders/${path(orderId)}/wallet-payment`)

/** Cancel the order while it awaits payment, shipment or pickup: points, stock and any wallet payment back. */
export const cancel = (orderId) => api.post(`/me/mall/orders/${path(orderId)}/cancellation`, {})

/** Confirm shipped goods arrived (确认收货). */
export const confirmReceipt = (orderId) => api.post(`/me/mall/orders/${path(orderId)}/completion`)
