/** The member's coupons (优惠券): their own by status, the templates they may claim now, and claiming (领券). */
import { api } from '../session'

/** `GET /v1/me/coupons?status=`: `{items, next_cursor}`; each coupon with its rules in words. */
export const coupons = (status, cursor, limit = 20) => api.get('/me/coupons', { status, cursor, limit })

/** `GET /v1/me/coupons/claimable`: `{items: [template…], next_cursor}`, the templates the member may claim now. */
export const claimable = (cursor) => api.get('/me/coupons/claimable', { cursor })

/** `POST /v1/me/coupons/claims` `{template_id}`: the coupon claimed (409 `out-of-stock`, `limit-reached`); `key`
 * is the Idempotency-Key, the same for every retry of one intended claim (a repeat answers the same coupon). */
export const claim = (templateId, key) => api.post('/me/coupons/claims', { template_id: templateId }, { 'Idempotency-Key': key })

/** `POST /v1/me/coupons/code-claims` `{code}`: a printed code (兑换码) becomes the member's own coupon (409
 * `code-not-claimable` with its `reason`, `limit-reached`, `tier-not-applicable`; 404 for no such code, 429 after ten
 * an hour); the same code again answers the same coupon. */
export const claimCode = (code) => api.post('/me/coupons/code-claims', { code })

/** How many coupons the member may use now, read from the first page: `{count, more}`. */
export async function availableCount() {
  const page = await coupons('available', undefined, 50)
  return { count: page.items.length, more: Boolean(page.next_cursor) }
}

/** `POST /v1/me/coupons/{code}/offer`: `{token, expires_at, coupon}`, a link a friend opens to take the coupon
 * (转赠), open 24 hours; the coupon waits for them meanwhile (409 `coupon-not-transferable`, `coupon-unusable`). */
export const offer = (code) => api.post(`/me/coupons/${encodeURIComponent(code)}/offer`)

/** `DELETE /v1/me/coupons/{code}/offer`: the coupon, usable again (收回转赠). */
export const withdraw = (code) => api.delete(`/me/coupons/${encodeURIComponent(code)}/offer`)

/** `GET /v1/me/gifts/{token}`: `{status, from_me, expires_at, received_code, coupon}`, a friend's gift before taking it. */
export const gift = (token) => api.get(`/me/gifts/${encodeURIComponent(token)}`)

/** `POST /v1/me/gifts/{token}/acceptance`: the member's own coupon for the friend's (409 `gift-over` with its
 * `reason`, `own-gift`, `limit-reached`); a repeat answers the same coupon. */
export const accept = (token) => api.post(`/me/gifts/${encodeURIComponent(token)}/acceptance`)

/** The address a friend opens to take a gift: these member pages, wherever they are served. */
export const giftLink = (token) => `${location.origin}${location.pathname}#/gifts/${token}`
