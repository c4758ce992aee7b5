/** The member's coupons (优惠券): their own by status, the templates they may claim now, and claiming (领券). */
import { api } from '../session'

/** `GET /v1/me/coupons?status=`: `{items, next_cursor}`; each coupon with its rules in words. */
export const coupons = (status, cursor, limit = 20) => api.get('/me/coupons', { status, cursor, limit })

/** `GET /v1/me/coupons/claimable`: `{items: [template…], next_cursor}`, the templates the member may claim now. */
export const claimable = (cursor) => api.get('/me/coupons/claimable', { cursor })

/** `POST /v1/me/coupons/claims` `{template_id}`: the coupon claimed (409 `out-of-stock`, `limit-reached`); `key`
 * is the Idempotency-Key, the same for every retry of one intended claim (a repeat answers the same coupon). */
export const claim = (templateId, key) => api.post('/me/coupons/claims', { template_id: templateId }, { 'Idempotency-Key': key })

/** How many coupons the member may use now, read from the first page: `{count, more}`. */
export async function availableCount() {
  const page = await coupons('available', undefined, 50)
  return { count: page.items.length, more: Boolean(page.next_cursor) }
}
