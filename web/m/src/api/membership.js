/** Paid membership (付费会员卡) as the member has it: plans on sale, their cards, buying or renewing one from the
 * wallet (储值支付) or starting the free trial, automatic renewal, and their benefits now (权益). */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** `GET /v1/me/membership/plans`: `{items}`, the plans on sale, each with its term, price, benefits and trial. */
export const plans = () => api.get('/me/membership/plans')

/** `GET /v1/me/cards`: `{items}`, newest first, each with its status, dates, automatic renewal and payments. */
export const cards = () => api.get('/me/cards')

/** `POST /v1/me/cards` `{plan_id, pay_with}` (`wallet` or `trial`): the card bought, renewed or on trial. `key` is the
 * Idempotency-Key, the same for every retry of one intended purchase (a repeat answers the same, `duplicate: true`). */
export const buy = (planId, payWith, key, studentId = null) => api.post('/me/cards',
  { plan_id: planId, pay_with: payWith, ...(studentId ? { student_id: studentId } : {}) }, { 'Idempotency-Key': key })

/** `PATCH /v1/me/cards/{id}` `{auto_renew}`: automatic renewal on (where the plan offers it) or off. */
export const setAutoRenew = (cardId, on) => api.patch(`/me/cards/${path(cardId)}`, { auto_renew: on })
/** What happened to a card, oldest first: `{items: [{kind, amount_fen, reason, occurred_at}]}` (a refund says how). */
export const cardHistory = (cardId) => api.get(`/me/cards/${path(cardId)}/history`)

/** `GET /v1/me/benefits`: `{items, effective}`, each benefit with its source, whether it applies and, for counted
 * ones, what is left this period and until when. */
export const benefits = () => api.get('/me/benefits')

/** `GET /v1/me/benefits/uses`: the member's use record (消课记录), newest first: `{items: [{kind (use or reversal),
 * reason, note, store_id, student_id, at}], next_cursor}`; with `studentId`, that child's classes only. */
export const uses = (cursor, studentId) => api.get('/me/benefits/uses', { cursor, limit: 20, student_id: studentId })
