export default {
  'zh-CN': {
    dashboard: {
      title: '数据概览', period: '统计期间', store: '门店', newMembers: '新增会员', purchases: '消费笔数', sales: '销售额（元）',
      salesNet: '退款 {refunds} 笔 {refunded}，净额 {net}',
      pointsIssued: '发放积分', pointsRedeemed: '兑换积分', pointsExpired: '过期积分', chainOnly: '仅统计全连锁：会员积分不归属门店，选门店时为 0', redeemedAtStore: '选门店时：在该店收银台兑换与抵现的积分', pointsDeducted: '扣减积分', deductedNote: '退款扣回与手动扣减', outstanding: '积分余额', membersTotal: '会员总数',
      float: '储值沉淀（元）', topUps: '储值充值（元）', cardsRevenue: '会员卡收入（元，净）', cardsUses: '权益使用（消课/入场）', tierDistribution: '会员等级分布', membersPerDay: '每日新增会员',
      todo: { title: '待办', ordersToHandle: '待处理的兑换订单', pickupsWaiting: '待会员自提', feedbackOpen: '待回复的意见反馈', rewardsLow: '库存紧张的积分商品', couponsLow: '库存紧张的优惠券' },
      salesPerDay: '每日消费', pointsPerDay: '每日积分', tooLong: '统计期间最长 {days} 天', asOf: '截至 {time}', floatParts: '本金 {principal} · 赠送金 {bonus}',
    },
  },
  en: {
    dashboard: {
      title: 'Dashboard', period: 'Period', store: 'Store', newMembers: 'New members', purchases: 'Purchases', sales: 'Sales (yuan)',
      salesNet: '{refunds} refunds, {refunded}; net {net}',
      pointsIssued: 'Points issued', pointsRedeemed: 'Points redeemed', pointsExpired: 'Points expired', pointsDeducted: 'Points deducted', deductedNote: 'Clawed back by refunds, or taken off by hand', chainOnly: 'Counted for the whole chain only (a member\'s points belong to no store): 0 for a store', redeemedAtStore: 'For a store: the points spent at its tills', outstanding: 'Outstanding points', membersTotal: 'Members',
      float: 'Stored-value float (yuan)', topUps: 'Top-ups (yuan)', cardsRevenue: 'Paid cards (yuan, net)', cardsUses: 'Benefit uses (classes, entries)', tierDistribution: 'Members by tier', membersPerDay: 'New members per day',
      todo: { title: 'To do', ordersToHandle: 'Mall orders to handle', pickupsWaiting: 'Pickups waiting', feedbackOpen: 'Feedback to answer', rewardsLow: 'Rewards running out', couponsLow: 'Coupons running out' },
      salesPerDay: 'Purchases per day', pointsPerDay: 'Points per day', tooLong: 'A period is at most {days} days', asOf: 'as of {time}', floatParts: 'principal {principal} · bonus {bonus}',
    },
  },
}
