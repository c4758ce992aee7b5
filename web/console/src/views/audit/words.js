/**
 * The audit log in words (found by a walkthrough: finance read `points.clawed-back`, `balance_after_fen: 22300` and
 * English field names): each action and each field of a change as the back office names them, amounts in yuan. A code
 * with no words yet shows as it is.
 */
const ACTION_WORDS = {
  'zh-CN': {
    'activity.recorded': '记录会员行为', 'agreement.published': '发布协议', 'consent.changed': '修改营销授权',
    'coupon.issued': '发放优惠券', 'coupon.redeemed': '核销优惠券', 'coupon.reversed': '撤销核销', 'coupon.reserved': '锁定优惠券',
    'coupon.released': '释放优惠券', 'coupon.returned': '退回优惠券', 'coupon.voided': '作废优惠券', 'coupon.expired': '优惠券过期',
    'coupon.template-created': '创建券模板', 'coupon.template-changed': '修改券模板', 'feedback.closed': '处理意见反馈',
    'job.run-requested': '手动运行任务', 'mall-order.address-read': '查看收货地址', 'mall.order-placed': '积分商城下单',
    'mall.order-paid': '商城订单付款', 'mall.order-shipped': '商城订单发货', 'mall.order-ready-for-pickup': '商城订单待提货',
    'mall.order-completed': '商城订单完成', 'mall.order-cancelled': '取消商城订单', 'mall.order-refunded': '商城订单退款',
    'mall.reward-created': '上架商品', 'mall.reward-updated': '修改商品', 'media.picture-published': '上传商品图片', 'media.picture-withdrawn': '撤下图片', 'member.registered': '登记会员', 'member.updated': '修改会员资料',
    'member.erased': '注销会员', 'member.agreed': '会员同意协议', 'member.phone-read': '查看完整手机号',
    'member.import-created': '创建会员导入', 'member.import-started': '开始会员导入', 'member.import-completed': '会员导入完成',
    'membership.plan-created': '创建会员卡方案', 'membership.plan-changed': '修改会员卡方案', 'membership.card-paid': '开通/续费会员卡',
    'membership.card-cancelled': '退会员卡', 'membership.auto-renew-changed': '修改自动续费', 'membership.benefit-used': '使用权益',
    'membership.benefit-use-reversed': '撤销权益使用', 'messaging.announced': '发送公告', 'messaging.setting-changed': '修改消息设置',
    'partner.created': '创建合作方', 'partner.updated': '修改合作方', 'partner.secret-added': '新增合作方密钥',
    'partner.secret-revoked': '吊销合作方密钥', 'points.adjusted': '调整积分', 'points.earned': '获得积分', 'points.redeemed': '兑换积分',
    'points.redemption-reversed': '撤销积分兑换', 'points.clawed-back': '退款扣回积分', 'points.opened': '导入期初积分',
    'points.rules-published': '发布积分规则', 'purchase.recorded': '消费记账', 'refund.recorded': '消费退款', 'report.exported': '导出报表',
    'staff.created': '创建员工', 'staff.updated': '修改员工', 'staff.password-reset': '重置员工密码', 'store.created': '创建门店',
    'store.updated': '修改门店', 'tier.override-set': '手动设置等级', 'tier.override-lifted': '取消手动等级', 'tier.changed': '等级变动',
    'tier.programme-drafted': '起草等级方案', 'tier.programme-applied': '启用等级方案', 'wallet.topped-up': '储值充值', 'wallet.paid': '储值支付',
    'wallet.refunded': '储值退款', 'wallet.cash-refunded': '退卡/退余额', 'wallet.forfeited': '储值作废', 'wallet.plan-created': '创建充值方案',
    'wallet.plan-ended': '停售充值方案',
  },
  en: {
    'member.phone-read': 'Full phone read', 'mall-order.address-read': 'Shipping address read', 'points.clawed-back': 'Points clawed back',
    'wallet.cash-refunded': 'Cash refund', 'member.updated': 'Member edited', 'purchase.recorded': 'Purchase recorded',
    'media.picture-published': 'Picture uploaded', 'refund.recorded': 'Purchase refunded', 'wallet.paid': 'Wallet payment', 'wallet.refunded': 'Wallet refund', 'wallet.topped-up': 'Top-up',
  },
}

const FIELD_WORDS = {
  'zh-CN': {
    name: '姓名', display_name: '显示名', birthday: '生日', city: '城市', region: '地区', gender: '性别', email: '邮箱', phone: '手机号',
    home_store_id: '归属门店', status: '状态', tags: '标签', roles: '角色', stores: '门店', tier: '等级', from_tier: '原等级',
    to_tier: '新等级', valid_until: '有效期至', points: '积分', amount: '数量', amount_fen: '金额', paid_fen: '实付', total_fen: '原价',
    principal_fen: '本金', bonus_fen: '赠送金', balance_after: '变动后余额', balance_after_fen: '变动后余额', refundable_fen: '可退',
    discount_fen: '优惠', reason: '原因', order_id: '订单号', store_id: '门店', payment_id: '支付单', refund_id: '退款单',
    partner_id: '合作方', plan_id: '方案', template_id: '券模板', code: '券码', reward_id: '商品', quantity: '件数', kind: '类型',
    source: '来源', channel: '渠道', version: '版本', card_id: '会员卡', job: '任务', run_id: '运行', as_of: '业务日期',
    entry_id: '流水号', member_id: '会员', referrer_id: '推荐人', member_no: '会员号', override: '手动等级', until: '截至',
  },
  en: {},
}

const words = (table, locale) => table[locale] || table.en

/** An action as the back office says it (`points.clawed-back` → 退款扣回积分); an unknown one as it is. */
export function actionText(action, locale) {
  return words(ACTION_WORDS, locale)[action] || action
}

/** A field of a change as the back office says it (`home_store_id` → 归属门店); an unknown one as it is. */
export function fieldText(field, locale) {
  return words(FIELD_WORDS, locale)[field] || field
}

/** A value of a change as read: amounts in fen as yuan (`22300` → ¥223.00), lists joined, nothing as —. */
export function valueText(field, value) {
  if (value === undefined || value === null || value === '') return '—'
  if (field.endsWith('_fen') && typeof value === 'number') return `${value < 0 ? '−' : ''}¥${(Math.abs(value) / 100).toFixed(2)}`
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('、') || '—'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
