/** Paid membership words the member pages share (the cards and plans, the benefits). */
import { i18n } from '@/i18n'

const t = (key, values) => i18n.global.t(key, values)

/** The van-tag type of a card's status. */
export const CARD_TAG = { active: 'success', 'renewal-due': 'warning', grace: 'warning', paused: 'primary', pending: 'warning', lapsed: 'default', cancelled: 'danger' }

/** A plan's term: `1 个月`, `30 天` or `永久`. */
export function termText(term) {
  if (term === 'lifetime' || !term) return t('membership.termOf.lifetime')
  return term.months ? t('membership.termOf.months', { n: term.months }) : t('membership.termOf.days', { n: term.days })
}

/** A plan's refund policy in the member's words, read before paying: `退卡按未使用天数比例退款，扣除已使用权益`. */
export function refundText(refund) {
  const kind = refund?.kind || 'none'
  const text = t(`membership.refundOf.${kind}`, { days: refund?.days || 0 })
  return !['none', 'unused'].includes(kind) && refund.deduct_used ? text + t('membership.refundDeducts') : text
}

/** What a benefit gives, shortly (`1 次/周`, `9 折`, `积分 2 倍`, `每月 2 张券`); a tier floor says it by its name. */
export function benefitDetail(benefit) {
  const rate = Number(benefit.rate)
  const per = benefit.period ? t(`membership.per.${benefit.period}`) : ''
  if (benefit.kind === 'quota') return benefit.unlimited ? t('membership.unlimited') : t('membership.benefit.quota', { n: benefit.quota, per })
  if (benefit.kind === 'discount') return t('membership.benefit.discount', { zhe: Math.round(rate * 100) / 10, off: Math.round((1 - rate) * 100) })
  if (benefit.kind === 'points_multiplier') return t('membership.benefit.points_multiplier', { x: rate })
  if (benefit.kind === 'coupon_pack') return t('membership.benefit.coupon_pack', { n: benefit.count, per })
  return ''
}

/** The van-icon of a benefit's kind. */
export const BENEFIT_ICON = {
  quota: 'certificate', discount: 'discount-o', points_multiplier: 'points', tier_floor: 'vip-card-o', coupon_pack: 'coupon-o',
}
