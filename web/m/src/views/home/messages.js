export default {
  'zh-CN': {
    home: {
      title: '首页',
      hello: '你好，{name}',
      memberNo: '会员卡号 {no}',
      available: '可用积分',
      expiring: '{n} 积分将于 {day} 过期',
      noExpiry: '暂无即将过期的积分',
      pending: '{n} 积分待生效',
      debt: '待抵扣 {n} 积分',
      chart: '积分变化',
      chartHint: '每笔积分后的余额',
      noLedger: '还没有积分记录，消费即可获得积分',
      coupons: '我的优惠券',
      quick: '常用功能',
      links: {
        code: '会员码', checkIn: '每日签到', redeem: '积分兑换', wallet: '储值钱包', purchases: '消费记录', tier: '会员等级',
        membership: '会员卡', benefits: '我的权益', feedback: '意见反馈', profile: '个人资料',
      },
    },
  },
  en: {
    home: {
      title: 'Home',
      hello: 'Hello, {name}',
      memberNo: 'Member no. {no}',
      available: 'Points available',
      expiring: '{n} points expire on {day}',
      noExpiry: 'No points expire soon',
      pending: '{n} points pending',
      debt: '{n} points owed',
      chart: 'Points over time',
      chartHint: 'balance after each entry',
      noLedger: 'No points yet: purchases earn them',
      coupons: 'My coupons',
      quick: 'Shortcuts',
      links: {
        code: 'Member code', checkIn: 'Check in', redeem: 'Redeem', wallet: 'Wallet', purchases: 'Purchases', tier: 'Tier',
        membership: 'Membership', benefits: 'Benefits', feedback: 'Feedback', profile: 'Profile',
      },
    },
  },
}
