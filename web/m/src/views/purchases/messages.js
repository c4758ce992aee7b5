export default {
  'zh-CN': {
    purchases: {
      title: '消费记录',
      none: '还没有消费记录',
      points: '+{n} 积分',
      growth: '+{n} 成长值',
      refunded: '已退款 ¥{amount}', pointsBack: '退款扣回 {n} 积分',
      pointsBackOf: '原得 {earned}，退款扣回 {n} 积分',
      order: '订单 {id}', moreLines: '另有 {n} 项商品',
      store: '{id}', storeCoded: '门店 {id}',
      method: { wechat_pay: '微信支付', alipay: '支付宝', card: '银行卡', cash: '现金', wallet: '储值余额', mixed: '组合支付' },
    },
  },
  en: {
    purchases: {
      title: 'Purchases',
      none: 'No purchases yet',
      points: '+{n} points',
      growth: '+{n} growth',
      refunded: 'Refunded ¥{amount}', pointsBack: '{n} points taken back by the refund',
      pointsBackOf: '{n} of {earned} points taken back by the refund',
      order: 'Order {id}', moreLines: '{n} more items',
      store: '{id}', storeCoded: 'Store {id}',
      method: { wechat_pay: 'WeChat Pay', alipay: 'Alipay', card: 'Card', cash: 'Cash', wallet: 'Wallet', mixed: 'Mixed' },
    },
  },
}
