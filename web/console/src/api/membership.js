/** Paid membership (付费会员卡): plans, a member's cards, their history and cancellation (退卡), a member's benefits
 * now (权益) and the uses of a counted one. Money is in fen. */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** `{items}`: every plan, oldest first, on sale or not (`stores:read`). */
export const listPlans = () => api.get('/membership/plans')

/** Create a plan (`membership:plans`): term, price, benefits, trial, automatic renewal, grace and refund policy. */
export const createPlan = (plan) => api.post('/membership/plans', plan)

/** A merge patch of a plan (`membership:plans`): `name`, `description`, `on_sale`. Cards sold keep their terms. */
export const patchPlan = (planId, patch) => api.patch(`/membership/plans/${path(planId)}`, patch)

/** `{items}`: a member's cards, newest first, with their status, dates, automatic renewal and payments. */
export const memberCards = (memberId) => api.get(`/members/${path(memberId)}/cards`)

/** `{items}`: what happened to a card, oldest first (a refund says how it was worked out). */
export const cardHistory = (memberId, cardId) => api.get(`/members/${path(memberId)}/cards/${path(cardId)}/history`)

/** Cancel a card today (`membership:cancel`), once per `cancel_id`; `refund`: `policy` (the plan's) or `none`.
 * Answers `{card, refund_fen, explanation, duplicate}`. */
/** What cancelling a card now would refund and why, writing nothing (`membership:cancel`): `{refund_fen,
 * explanation, packs_taken_back}`; `refund`: `policy` or `none`. */
export const cancellationQuote = (memberId, cardId, refund) =>
  api.get(`/members/${path(memberId)}/cards/${path(cardId)}/cancellation-quote`, { refund })

/** 开卡 / 续卡 at the counter (`membership:sell`): `{plan_id, store_id, order_id, amount_fen, payment_method}`, the money
 * taken at the till; once per store and order. Answers `{payment_id, card_id, valid_until, duplicate}`. */
export const sellCard = (memberId, body) => api.post(`/members/${path(memberId)}/cards`, body)

/** 停卡 (`membership:pause`): `{pause_id, first_day, days, reason}`, once per `pause_id`; answers the card, its end moved. */
export const pauseCard = (memberId, cardId, body) => api.post(`/members/${path(memberId)}/cards/${path(cardId)}/pauses`, body)

/** 延期 (`membership:extend`): days given after the card's end (a lapsed card from today); answers the card. */
export const extendCard = (memberId, cardId, body) => api.post(`/members/${path(memberId)}/cards/${path(cardId)}/extensions`, body)

/** 开卡 at the first visit (`benefits:use`): a card sold to start at its first use starts today; answers the card. */
export const activateCard = (memberId, cardId) => api.post(`/members/${path(memberId)}/cards/${path(cardId)}/activation`)

/** 复卡: the pause ends today (or is withdrawn, not begun); answers the card, its end moved back. */
export const resumeCard = (memberId, cardId, pauseId) =>
  api.delete(`/members/${path(memberId)}/cards/${path(cardId)}/pauses/${path(pauseId)}`)

export const cancelCard = (memberId, cardId, body) =>
  api.post(`/members/${path(memberId)}/cards/${path(cardId)}/cancellation`, body)

/** `{items, effective}`: a member's benefits now, from their tier and cards; counted ones with what is left. */
/** `GET /v1/members/{id}/benefits`: what the member has, and at `storeId` (the till's) what applies there (单店卡). */
export const memberBenefits = (memberId, storeId) => api.get(`/members/${path(memberId)}/benefits`, storeId ? { store_id: storeId } : undefined)

/** Record one use of a counted benefit (`benefits:use`), once per `useId`: the same id again answers the same use,
 * at `storeId` (the till's; one of a store-scoped caller's), drawn from `sourceId` (the card or tier of the row
 * clicked: two packs' classes may share a code). 409 `quota-exhausted` when none are left this period. */
export const recordUse = (memberId, benefitId, useId, storeId = null, note = '', memberCode = '', sourceId = '') =>
  api.post(`/members/${path(memberId)}/benefits/${path(benefitId)}/uses`,
    { use_id: useId, note, ...(storeId ? { store_id: storeId } : {}), ...(memberCode ? { member_code: memberCode } : {}),
      ...(sourceId ? { source_id: sourceId } : {}) })

/** The member's use record (消课记录), newest first: `{items: [{kind, use_id, reason, note, store_id, at, recorded_by}],
 * next_cursor}`. */
export const benefitUses = (memberId, cursor, limit = 20, studentId) => api.get(`/members/${path(memberId)}/benefits/uses`, { cursor, limit, student_id: studentId })

/** Take a recorded use back (the class was cancelled): it counts again while its period lasts. */
export const reverseUse = (memberId, benefitId, useId) =>
  api.delete(`/members/${path(memberId)}/benefits/${path(benefitId)}/uses/${path(useId)}`)
