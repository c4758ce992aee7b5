/** How a tier reads and looks: its name in the member's language, its card colours, progress words. */
import { i18n } from '@/i18n'
import { number, yuan } from '@/format'

const LOOKS = {
  normal: ['#5b6b82', '#33404f'],
  silver: ['#9aa5b1', '#5d6875'],
  gold: ['#d9a441', '#8c5f13'],
  diamond: ['#3a3f73', '#141629'],
}
const FALLBACK = [['#c8102e', '#7a0b1d'], ['#1f7a6d', '#0d3f38'], ['#6a3fa0', '#361d57']]

/** The card's background for a tier code (known codes have their colours; others one by their name). */
export function cardBackground(code) {
  const pair = LOOKS[code] || FALLBACK[[...(code || '')].reduce((sum, c) => sum + c.charCodeAt(0), 0) % FALLBACK.length]
  return `linear-gradient(135deg, ${pair[0]} 0%, ${pair[1]} 100%)`
}

/** A tier's (or a benefit's) name in the member's language. */
export function nameOf(thing) {
  if (!thing) return ''
  return i18n.global.locale.value === 'en' ? thing.name_en || thing.name_zh : thing.name_zh || thing.name_en
}

/** A value on the programme's metric: yuan paid, or growth value. */
export function metricValue(metric, value) {
  return metric === 'paid_fen' ? `¥${yuan(value)}` : number(value)
}

/** The benefits of a tier as short lines: [{icon, text}]; `names`: coupon templates' names by id (`coupon_names`). */
export function benefitLines(benefits, names = {}) {
  const { t } = i18n.global
  if (!benefits) return []
  const lines = []
  const discount = Number(benefits.discount_rate)
  if (discount && discount < 1) {
    const zhe = Math.round(discount * 100) / 10
    lines.push({ icon: 'discount-o', text: t('tiers.discount', { zhe, off: Math.round((1 - discount) * 100) }) })
  }
  const multiplier = Number(benefits.points_multiplier)
  if (multiplier && multiplier !== 1) lines.push({ icon: 'points', text: t('tiers.multiplier', { x: multiplier }) })
  if (benefits.birthday_bonus_points) lines.push({ icon: 'gift-o', text: t('tiers.birthday', { n: benefits.birthday_bonus_points }) })
  for (const coupon of benefits.birthday_coupons || []) lines.push({ icon: 'gift-card-o', text: t('tiers.birthdayCoupon', { name: names[coupon] ?? coupon }) })
  if (benefits.free_shipping) lines.push({ icon: 'logistics', text: t('tiers.freeShipping') })
  if (benefits.priority_purchase) lines.push({ icon: 'fire-o', text: t('tiers.priority') })
  for (const coupon of benefits.exclusive_coupons || []) lines.push({ icon: 'coupon-o', text: t('tiers.coupon', { name: names[coupon] ?? coupon }) })
  for (const right of benefits.entitlements || []) {
    const quota = right.quota ? t('tiers.quota', { n: right.quota, period: t(`tiers.period.${right.period}`) }) : ''
    lines.push({ icon: 'certificate', text: `${nameOf(right)}${quota}` })
  }
  return lines
}
