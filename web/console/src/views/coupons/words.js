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
export const COUPON_TAG = { available: 'success', reserved: 'warning', used: 'info', expired: 'info', voided: 'danger' }
