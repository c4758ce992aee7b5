/** Paid membership words the screens share (the plans, a member's cards and benefits, the counter). */
import { ref } from 'vue'
import { programmes } from '../../api/tiers'
import { i18n } from '../../i18n'

const t = (key, values) => i18n.global.t(key, values)

/** The el-tag type of a card's status. */
export const CARD_TAG = { active: 'success', 'renewal-due': 'warning', grace: 'warning', paused: 'primary', pending: 'warning', lapsed: 'info', cancelled: 'danger' }

/** A plan's term: `1 个月`, `30 天` or `永久`. */
export function termText(term) {
  if (term === 'lifetime' || !term) return t('membership.termOf.lifetime')
  return term.months ? t('membership.termOf.months', { n: term.months }) : t('membership.termOf.days', { n: term.days })
}

/** What a benefit gives, shortly: `1 次/周`, `9 折`, `积分 1.5 倍`, `黄金保底`, `2 张券/月`. */
export function benefitDetail(benefit, tierName = (code) => code) {
  const rate = Number(benefit.rate)
  const per = benefit.period ? t(`membership.per.${benefit.period}`) : ''
  switch (benefit.kind) {
    case 'quota':
      return benefit.unlimited ? t('membership.detail.unlimited', { per }) : t('membership.detail.quota', { n: benefit.quota, per })
    case 'discount':
      return t('membership.detail.discount', { zhe: Math.round(rate * 100) / 10, off: Math.round((1 - rate) * 100) })
    case 'points_multiplier':
      return t('membership.detail.points_multiplier', { x: rate })
    case 'tier_floor':
      return t('membership.detail.tier_floor', { tier: tierName(benefit.tier) })
    case 'coupon_pack':
      return t('membership.detail.coupon_pack', { n: benefit.count, per })
    default:
      return ''
  }
}

/** A plan's refund policy in words: `按比例退款，扣除已用权益`. */
export function refundText(refund) {
  const kind = refund?.kind || 'none'
  const text = t(`membership.refundText.${kind}`, { days: refund?.days || 0 })
  return !['none', 'unused'].includes(kind) && refund.deduct_used ? text + t('membership.deductText') : text
}

let tiersRead = null
const tiers = ref([])

/** The programme's tiers' names by code, read once a session (`stores:read`); a code unknown reads as itself. */
export function useTierNames() {
  if (!tiersRead) {
    tiersRead = programmes().then(
      (answer) => (tiers.value = answer.current?.tiers || []),
      () => (tiersRead = null),
    )
  }
  const tierName = (code) => {
    const tier = tiers.value.find((known) => known.code === code)
    if (!tier) return code
    return i18n.global.locale.value === 'en' ? tier.name_en : tier.name_zh
  }
  return { tiers, tierName }
}
