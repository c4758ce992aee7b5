export default {
  'zh-CN': {
    wallet: {
      title: '储值钱包',
      total: '可用余额',
      principal: '本金',
      bonus: '赠送金',
      limit: '余额上限 ¥{amount}',
      giftPending: '待到账赠送积分 {n}：使用本金消费时按比例到账',
      howTo: '到店出示会员码即可充值或用余额支付。本金可退，赠送金随充值方案赠送。',
      entries: '余额明细',
      noEntries: '还没有储值记录', storeCoded: '门店 {id}',
      after: '{book}余额 ¥{amount}',
      book: { principal: '本金', bonus: '赠送金' },
      kind: { 'top-up': '充值', payment: '支付', refund: '退款', 'cash-refund': '退余额', 'bonus-forfeit': '赠送金扣回' },
    },
  },
  en: {
    wallet: {
      title: 'Wallet',
      total: 'Balance',
      principal: 'Principal',
      bonus: 'Bonus',
      limit: 'Limit ¥{amount}',
      giftPending: '{n} gift points to come: credited as you spend the principal',
      howTo: 'Show your member code in store to top up or pay. Principal is refundable; bonus comes with top-up plans.',
      entries: 'Wallet history',
      noEntries: 'No wallet entries yet', storeCoded: 'Store {id}',
      after: '{book} balance ¥{amount}',
      book: { principal: 'Principal', bonus: 'Bonus' },
      kind: { 'top-up': 'Top-up', payment: 'Payment', refund: 'Refund', 'cash-refund': 'Cash refund', 'bonus-forfeit': 'Bonus forfeited' },
    },
  },
}
