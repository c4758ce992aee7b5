export default {
  'zh-CN': {
    members: {
      title: '会员列表', detail: '会员详情', back: '会员列表', query: '查找', queryHint: '手机号 / 会员号 / 会员码 / 姓名',
      notFound: '没有找到该会员（或不在您的管辖范围）', badQuery: '请输入手机号、会员号或完整姓名', no: '会员号', name: '姓名', phone: '手机号', tier: '等级', homeStore: '归属门店',
      registered: '注册时间', email: '邮箱', birthday: '生日', gender: '性别', genders: { female: '女', male: '男', undisclosed: '未说明' },
      city: '地区', source: '注册渠道', consents: '营销授权', profile: '资料', points: '积分', growthTier: '成长值与等级',
      wallet: '储值', coupons: '优惠券', purchases: '消费记录', available: '可用积分', pending: '待生效积分', expiring: '即将过期', entryType: '类型',
      balanceAfter: '变动后余额', reverse: '撤销兑换', reverseReason: '撤销原因', reverseDefault: '撤销兑换', alreadyReversed: '该兑换已撤销过',
      validUntil: '有效期至', growth: '成长值', metric: { growth: '成长值', paid_fen: '计算期内消费' }, benefits: '权益', override: '等级调整', liftOverride: '取消调整', toNext: '距 {tier} 还差 {missing}',
      tierHistory: '等级变化', growthEntries: '成长值明细', principal: '本金', bonus: '赠送金', walletBook: '账户', order: '订单号',
      paid: '实付', refunded: '已退', edit: '编辑', editTitle: '编辑会员资料', adjust: '调整积分', adjustHint: '正数增加，负数扣减', adjustZero: '请输入非零的积分数',
      expiresOn: '过期日期', insufficient: '可用积分不足', freeze: '冻结', unfreeze: '解冻', erase: '注销', eraseConfirm: '确认注销',
      eraseWarning: '注销后姓名与个人资料将被抹去、手机号释放、数据密钥销毁，且无法恢复；积分与储值流水、审计记录仅保留会员编号，会员号保留不再分配。储值中仍有本金时须先退余额。',
      erased: '会员已注销', holdsValue: '该会员储值仍有本金，请先办理退余额', overrideKind: '方式', floor: '保底（不低于）', pin: '锁定（恰为）', until: '截止日期',
    },
  },
  en: {
    members: {
      title: 'Members', detail: 'Member', back: 'Members', query: 'Find', queryHint: 'Phone / member no. / member code / name',
      notFound: 'No such member (or not one you may see)', badQuery: 'Type a phone, a member number or a whole name', no: 'Member no.', name: 'Name', phone: 'Phone', tier: 'Tier', homeStore: 'Home store',
      registered: 'Registered', email: 'Email', birthday: 'Birthday', gender: 'Gender', genders: { female: 'Female', male: 'Male', undisclosed: 'Undisclosed' },
      city: 'Region / city', source: 'Joined through', consents: 'Marketing consent', profile: 'Profile', points: 'Points', growthTier: 'Growth & tier',
      wallet: 'Stored value', coupons: 'Coupons', purchases: 'Purchases', available: 'Available points', pending: 'Pending points', expiring: 'Expiring soon', entryType: 'Type',
      balanceAfter: 'Balance after', reverse: 'Reverse', reverseReason: 'Why is it reversed?', reverseDefault: 'Redemption reversed', alreadyReversed: 'Already reversed',
      validUntil: 'Valid until', growth: 'Growth value', metric: { growth: 'Growth value', paid_fen: 'Spent in the window' }, benefits: 'Benefits', override: 'Tier override', liftOverride: 'Lift', toNext: '{missing} more to {tier}',
      tierHistory: 'Tier history', growthEntries: 'Growth entries', principal: 'Principal', bonus: 'Bonus', walletBook: 'Book', order: 'Order',
      paid: 'Paid', refunded: 'Refunded', edit: 'Edit', editTitle: 'Edit the profile', adjust: 'Adjust points', adjustHint: 'positive credits, negative debits', adjustZero: 'Give a number of points other than zero',
      expiresOn: 'Expires on', insufficient: 'Not enough available points', freeze: 'Freeze', unfreeze: 'Unfreeze', erase: 'Erase', eraseConfirm: 'Erase for good',
      eraseWarning: 'Erasure blanks the name and personal data, releases the phone and destroys the data key, for good. Ledgers and audit records keep the member id alone; the member number stays reserved. Principal left in stored value must be refunded first.',
      erased: 'The member is erased', holdsValue: 'The stored value still holds principal: refund it in cash first', overrideKind: 'Kind', floor: 'Floor (never below)', pin: 'Pin (exactly)', until: 'Until',
    },
  },
}
