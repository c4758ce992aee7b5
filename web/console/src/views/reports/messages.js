export default {
  'zh-CN': {
    reports: {
      title: '经营报表', period: '统计期间', granularity: '粒度', scope: '范围', chain: '全部门店', store: '门店', region: '大区',
      granularities: { day: '按日', week: '按周', month: '按月' }, download: '下载 CSV',
      exportFile: '导出文件', exported: '{file}（{rows} 行）已生成，链接 15 分钟内有效', fetch: '下载',
      tabs: { members: '会员', sales: '销售', points: '积分', programme: '权益与储值', liability: '负债' }, city: '城市', tier: '会员等级',
      columns: {
        period: '期间', new: '新增会员', active: '活跃会员', total: '会员总数', purchases: '消费笔数', paid: '实收（元）',
        average: '客单价（元）', buyers: '消费会员', repeat: '复购会员', repurchase: '复购率', refunds: '退款笔数',
        issued: '发放积分', redeemed: '兑换积分', expired: '过期积分', clawedBack: '退款扣回', outstanding: '期末积分余额',
        tierUps: '升级人数', tierDowns: '降级人数', couponsIssued: '发券', couponsUsed: '核销', discount: '优惠金额（元）',
        mallPlaced: '兑换订单', mallCancelled: '取消/退款', cardsSold: '开卡', cardsRenewed: '续费', cardsLapsed: '到期未续',
        topUps: '储值充值（元）', walletPayments: '储值消费（元）',
      },
      consumption: '积分消耗率 {window}（累计 {cumulative}）', asOf: '负债日期', hidden: '金额仅财务与管理员可见',
      liability: {
        points: '积分负债（元）', pointsNote: '{points} 积分 × {value} 分/积分，预计过期 {breakage} 积分',
        principal: '储值本金（元）', bonus: '储值赠送金（元）', coupons: '可用优惠券面值（元）', mall: '未履约兑换订单（元）',
        mallNote: '{open} 笔订单', total: '合计（元）',
      },
      tooLong: '该粒度的统计期间过长',
      recent: '截至今日：近 7 天活跃 {week} 人，近 30 天 {month} 人，近 90 天 {quarter} 人', bySource: '新增会员来源：', sources: { store: '门店', online: '线上', referral: '会员推荐', ads: '广告', offline_event: '线下活动', import: '导入' },
    },
  },
  en: {
    reports: {
      title: 'Reports', period: 'Period', granularity: 'By', scope: 'Scope', chain: 'All stores', store: 'Store', region: 'Region',
      granularities: { day: 'Day', week: 'Week', month: 'Month' }, download: 'Download CSV',
      exportFile: 'Export file', exported: '{file} ({rows} rows) is ready; the link works for 15 minutes', fetch: 'Download',
      tabs: { members: 'Members', sales: 'Sales', points: 'Points', programme: 'Coupons, mall, cards, wallet', liability: 'Liability' }, city: 'City', tier: 'Tier',
      columns: {
        period: 'Period', new: 'New', active: 'Active', total: 'Members', purchases: 'Purchases', paid: 'Paid (yuan)',
        average: 'Average order (yuan)', buyers: 'Buyers', repeat: 'Repeat buyers', repurchase: 'Repurchase rate', refunds: 'Refunds',
        issued: 'Issued', redeemed: 'Redeemed', expired: 'Expired', clawedBack: 'Clawed back', outstanding: 'Outstanding at end',
        tierUps: 'Moved up', tierDowns: 'Moved down', couponsIssued: 'Coupons issued', couponsUsed: 'Coupons used', discount: 'Discount (yuan)',
        mallPlaced: 'Mall orders', mallCancelled: 'Cancelled or refunded', cardsSold: 'Cards sold', cardsRenewed: 'Renewed', cardsLapsed: 'Lapsed',
        topUps: 'Top-ups (yuan)', walletPayments: 'Wallet payments (yuan)',
      },
      consumption: 'Consumption rate {window} (cumulative {cumulative})', asOf: 'As of', hidden: 'Amounts are for finance and admins',
      liability: {
        points: 'Points (yuan)', pointsNote: '{points} points × {value} fen each; {breakage} expected to expire',
        principal: 'Stored-value principal (yuan)', bonus: 'Stored-value bonus (yuan)', coupons: 'Usable coupons (yuan)', mall: 'Unfulfilled mall orders (yuan)',
        mallNote: '{open} orders', total: 'Total (yuan)',
      },
      tooLong: 'The period is too long for this granularity',
      recent: 'As of today: {week} active in the last 7 days, {month} in 30, {quarter} in 90', bySource: 'New members by source:', sources: { store: 'Store', online: 'Online', referral: 'Referral', ads: 'Ads', offline_event: 'Offline event', import: 'Import' },
    },
  },
}
