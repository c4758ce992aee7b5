/** Coupon words the coupon screens share (the template list, a member's coupons, the counter). */
import { i18n } from '../../i18n'

const t = (key, values) => i18n.global.t(key, values)

/** A template's validity: `N days from issue`, or `from – until`. */
export function validityText(validity) {
  if (!validity) return '—'
  if (validity.days_after_issue) return t('coupons.daysAfterIssue', { n: validity.days_after_issue })
  return `${validity.from} – ${validity.until}`
}

/** The el-tag type of a coupon's status. */
export const COUPON_TAG = { available: 'success', reserved: 'warning', used: 'info', expired: 'info', voided: 'danger', transferred: 'info' }

/** A template the platform issues itself: on registration, or on a top-up of at least so much. */
export function giftText(gift) {
  if (gift.on === 'top_up') return t('coupons.giftTopUp', { amount: (Number(gift.min_top_up_fen || 0) / 100).toFixed(2) })
  return t(`coupons.gifts.${gift.on}`)
}
