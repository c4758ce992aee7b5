/** Mall words the member's mall screens share: a reward's price, how it comes, and what stops an exchange. */
import { i18n } from '@/i18n'
import { number, yuan } from '@/format'

const t = (key, values) => i18n.global.t(key, values)

/** `500 积分`, or `500 积分 + ¥9.90` (points + cash), for `quantity` units. */
export function priceText(points, cashFen, quantity = 1) {
  const inPoints = t('mall.points', { n: number(points * quantity) })
  return cashFen ? `${inPoints} ${t('mall.plusCash', { amount: yuan(cashFen * quantity) })}` : inPoints
}

/** How a reward reaches the member: `coupon`, `shipping`, `pickup` or `service` (a key of `mall.kinds`). */
export const deliveryOf = (reward) => (reward.kind === 'goods' ? reward.fulfilment : reward.kind)

/** Why the member cannot exchange a reward now, plainly (sold out, their limit reached, their points short), or ''. */
export function blockedText(reward, available, owed = 0) {
  if (!reward.in_stock) return t('mall.soldOut')
  if (reward.remaining_for_member === 0) return t('mall.limitReached')
  // points owed (a refund's debt) are paid first by what is earned next: a reward needs that much more
  if (!reward.affordable) {
    const n = number(Math.max(1, reward.points - available + owed))
    return owed > 0 ? t('mall.shortOwing', { n, owed: number(owed) }) : t('mall.short', { n })
  }
  return ''
}

/** The Vant tag type of an order's status. */
export const STATUS_TAG = {
  awaiting_payment: 'warning', pending: 'primary', ready_for_pickup: 'success', shipped: 'primary', completed: 'default',
  cancelled: 'default', refunded: 'default',
}

/** Time left as `29:41` (or `1:02:05`); `0:00` once over. */
export function clockText(seconds) {
  const left = Math.max(0, Math.floor(seconds))
  const pad = (n) => String(n).padStart(2, '0')
  const hours = Math.floor(left / 3600)
  const minutes = Math.floor((left % 3600) / 60)
  return hours ? `${hours}:${pad(minutes)}:${pad(left % 60)}` : `${minutes}:${pad(left % 60)}`
}
