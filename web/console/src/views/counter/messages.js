export default {
  'zh-CN': {
    counter: {
      title: '收银台', find: '查找会员', hint: '扫描会员码，或输入手机号 / 会员号', notFound: '没有找到该会员', available: '可用积分',
      nextExpiry: '{date} 将过期 {points}', wallet: '储值余额', redeem: '积分兑换', redeemPoints: '兑换积分', redeemFor: '兑换内容',
      redeemed: '已兑换 {points} 积分', insufficient: '可用积分不足', frozen: '会员已冻结，不能消费', pay: '储值支付', payAmount: '支付金额（元）',
      order: '订单号', paid: '已从储值扣款 ¥{amount}（本金 ¥{principal}，赠送金 ¥{bonus}）', walletShort: '储值余额不足', benefits: '等级权益', benefitsNow: '当前享受', cards: '付费会员卡',
      cardStatus: { active: '生效中', 'renewal-due': '即将自动续费', grace: '已到期·宽限中', lapsed: '已过期', cancelled: '已退卡' },
      cardUntil: '有效期至 {day}', cardLifetime: '长期有效', cardGrace: '已于 {day} 到期，权益保留至 {until}，可续费',
      cardLapsed: '已于 {day} 到期，权益已停止，可续费', cardCancelled: '{day} 已退卡',
      tier: '会员等级', another: '下一位', store: '收银门店', storeHint: '请选择门店', memberCode: '会员码', memberCodeHint: '扫描会员出示的会员码',
      codeStale: '会员码已过期或不属于该会员，请会员刷新后重新扫描', codeUsed: '该会员码已付过一笔款，请会员出示新的会员码', orderPaid: '该订单已用储值支付过（金额或内容不同）',
    },
  },
  en: {
    counter: {
      title: 'Counter', find: 'Find a member', hint: 'Scan the member code, or type a phone / member no.', notFound: 'No such member', available: 'Available points',
      nextExpiry: '{points} expire on {date}', wallet: 'Stored value', redeem: 'Redeem points', redeemPoints: 'Points', redeemFor: 'For',
      redeemed: '{points} points redeemed', insufficient: 'Not enough available points', frozen: 'The member is frozen and cannot spend', pay: 'Pay from stored value', payAmount: 'Amount (yuan)',
      order: 'Order no.', paid: '¥{amount} paid from stored value (principal ¥{principal}, bonus ¥{bonus})', walletShort: 'Not enough stored value', benefits: 'Tier benefits', benefitsNow: 'Applies now', cards: 'Paid cards',
      cardStatus: { active: 'Active', 'renewal-due': 'Renews soon', grace: 'Ended · grace', lapsed: 'Lapsed', cancelled: 'Cancelled' },
      cardUntil: 'valid until {day}', cardLifetime: 'for life', cardGrace: 'ended {day}, benefits kept until {until}: offer a renewal',
      cardLapsed: 'ended {day}, no benefits now: offer a renewal', cardCancelled: 'cancelled {day}',
      tier: 'Tier', another: 'Next customer', store: 'Till store', storeHint: 'Choose the store', memberCode: 'Member code', memberCodeHint: 'Scan the code the member shows',
      codeStale: 'The member code has expired or is not this member\'s: ask them to refresh it and scan again', codeUsed: 'This member code has paid already: ask the member for their new code', orderPaid: 'This order was paid from stored value before, with other details',
    },
  },
}
