/** Mall words the mall's screens share (rewards, orders, the counter, a member's orders). */
import { i18n } from '../../i18n'
import { money } from '../../components/format'

const t = (key, values) => i18n.global.t(key, values)

/** What a unit (or an order) costs: `500 积分`, or `500 积分 + ¥9.90` for points + cash. */
export function priceText(points, cashFen) {
  const inPoints = t('mall.pointsOf', { n: points })
  return cashFen ? `${inPoints} + ${money(cashFen)}` : inPoints
}

/** The per-member limit: `每月限兑 2 件`, or `不限`. */
export function limitText(limit, period) {
  return limit ? t(`mall.limitPer.${period || 'ever'}`, { n: limit }) : t('mall.unlimited')
}

/** How a reward reaches the member: a coupon, goods shipped or picked up, a service. */
export function deliveryText(kind, fulfilment) {
  return kind === 'goods' ? t(`mall.fulfilments.${fulfilment}`) : t(`mall.kinds.${kind}`)
}

/** The el-tag type of an order's status. */
export const ORDER_TAG = {
  awaiting_payment: 'warning', pending: 'primary', ready_for_pickup: 'primary', shipped: 'primary', completed: 'success',
  cancelled: 'info', refunded: 'info',
}

