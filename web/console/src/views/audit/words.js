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
    'wallet.plan-ended': '停售充值方案', 'giftcard.batch-created': '生成礼品卡批次', 'giftcard.codes-fetched': '下载礼品卡卡密',
    'giftcard.batch-voided': '作废未售礼品卡', 'giftcard.sold': '售卖礼品卡', 'giftcard.redeemed': '绑定礼品卡',
    'giftcard.extended': '礼品卡延期',
  },
  en: {
    'member.phone-read': 'Full phone read', 'mall-order.address-read': 'Shipping address read', 'points.clawed-back': 'Points clawed back',
    'wallet.cash-refunded': 'Cash refund', 'member.updated': 'Member edited', 'purchase.recorded': 'Purchase recorded',
    'giftcard.batch-created': 'Gift card batch made', 'giftcard.codes-fetched': 'Gift card PINs downloaded', 'giftcard.sold': 'Gift cards sold',
    'giftcard.batch-voided': 'Unsold gift cards voided', 'giftcard.extended': 'Gift card extended', 'giftcard.redeemed': 'Gift card bound',
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
    // a head office's walkthrough read these raw on stores, plans, templates and adjustments
    batch_id: '批次', batches: '批次', count: '张数', valid_months: '有效期（月）', payment_method: '收款方式', card_ends: '卡号尾号',
    was_valid_until: '原有效期至', unsold: '未售张数',
    pay_fen: '充值金额', gift_points: '赠送积分', starts_on: '开始日期', ends_on: '结束日期', claimable: '可领取', transferable: '可转赠',
    lots: '积分批次', seq: '序号', source_id: '来源编号', source_kind: '来源类型', type: '类型', description: '说明', price_fen: '价格',
    stock: '库存', per_member_limit: '每人限领', threshold_fen: '门槛', amount_off_fen: '减免金额', percent_off: '折扣', validity: '有效期',
    weekdays: '可用星期', gift: '自动发放', term: '时长', benefits: '权益', refund: '退卡规则', on_sale: '在售', trial_days: '试用天数',
    grace_days: '宽限天数', auto_renew: '自动续费', quiet_hours: '免打扰', caps: '频次上限', kinds: '消息类型', wording: '授权文案',
    wording_version: '文案版本', sms_opt_out: '退订用语', low_balance_fen: '余额提醒线', max_delay_hours: '最长延迟（小时）',
    address: '地址', phone_number: '电话', opening_hours: '营业时间', actor: '操作人', note: '备注', reward: '商品', cash_fen: '现金',
    feedback_id: '反馈', bytes: '字节数', import_id: '导入批次', encoding: '编码', secret_id: '密钥', effective_from: '生效时间',
    face_value_fen: '面值', reason_en: '原因（英文）', replied: '已回复', username: '用户名',
  },
  en: {},
}

// a person's name is their 姓名 (a member's or a staff member's edits); a store's, template's or plan's, its 名称
const NAMED = { 'zh-CN': { 'member.registered': '姓名', 'member.updated': '姓名', 'staff.created': '姓名', 'staff.updated': '姓名' }, en: {} }

const VALUE_WORDS = {
  'zh-CN': {
    status: { open: '营业', closed: '已关闭', active: '正常', frozen: '冻结', erased: '已注销', issuing: '发放中', stopped: '已停发',
      voided: '已作废', disabled: '已停用', enabled: '启用', completed: '已完成', cancelled: '已取消' },
    kind: { threshold: '满减券', amount_off: '代金券', percent_off: '折扣券', exchange: '兑换券', free_shipping: '免邮券', goods: '实物',
      coupon: '优惠券', service: '服务', adjust: '调整', earn: '获得', redeem: '兑换', expire: '过期', refund: '退款' },
    type: { adjust: '调整', earn: '获得', redeem: '兑换', expire: '过期', refund: '退款', reverse: '撤销' },
    source_kind: { staff: '员工', order: '订单', redemption: '兑换', job: '任务', tier: '等级', registration: '注册' },
  },
  en: {},
}

const words = (table, locale) => table[locale] || table.en

/** An action as the back office says it (`points.clawed-back` → 退款扣回积分); an unknown one as it is. */
export function actionText(action, locale) {
  return words(ACTION_WORDS, locale)[action] || action
}

/** A field of a change as the back office says it (`home_store_id` → 归属门店), `name` by what ``action`` changed (a
 * member's 姓名, a store's or a coupon's 名称); an unknown one as it is. */
export function fieldText(field, locale, action = '') {
  if (field === 'name' && locale === 'zh-CN') return NAMED[locale][action] || '名称'
  return words(FIELD_WORDS, locale)[field] || field
}

/** A value of a change as read: amounts in fen as yuan (`22300` → ¥223.00), a status or kind in words, yes or no,
 * lists joined, nothing as —. */
export function valueText(field, value, locale = 'zh-CN') {
  if (value === undefined || value === null || value === '') return '—'
  if (field.endsWith('_fen') && typeof value === 'number') return `${value < 0 ? '−' : ''}¥${(Math.abs(value) / 100).toFixed(2)}`
  const said = words(VALUE_WORDS, locale)[field]?.[value]
  if (said) return said
  if (typeof value === 'boolean' && locale === 'zh-CN') return value ? '是' : '否'
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('、') || '—'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
