/**
 * Words every screen shares: the shell, menus, common buttons and problem titles; `config`, those of the shared
 * components (problems said kindly, paging, validation, the JSON editor).
 */
export default {
  'zh-CN': {
    app: { name: '会员管理后台', logout: '退出登录', language: 'English', forbidden: '没有权限访问此页面', notFound: '页面不存在', back: '返回首页' },
    menu: { overview: '概览', members: '会员', operations: '运营', marketing: '营销', configuration: '配置', system: '系统' },
    benefits: { discount: '{rate} 折', multiplier: '积分 {factor} 倍', birthday: '生日送 {points} 积分', birthdayCoupon: '生日券 {name}', coupon: '专属券 {name}', freeShipping: '包邮', priority: '优先购', quota: '{name} {quota} 次/{period}', per: { day: '日', week: '周', month: '月', quarter: '季', year: '年', term: '卡期' } },
    entryTypes: { earn: '获得', earnOrder: '消费获得', earnActivity: '活动奖励', earnGift: '赠送', redeem: '兑换', expire: '过期', adjust: '调整', refund: '退款扣回', reverse: '撤销兑换', opening: '期初迁移' },
    memberStatus: { active: '正常', frozen: '已冻结', erased: '已注销' },
    actors: { staff: '员工 {name}', member: '会员本人', partner: '合作方 {id}', system: '系统', cli: '命令行' },
    roles: { cashier: '收银员', store_manager: '店长', marketing: '市场', customer_service: '客服', finance: '财务', admin: '管理员' },
    common: {
      search: '搜索', reset: '重置', save: '保存', cancel: '取消', confirm: '确定', create: '新建', edit: '编辑',
      delete: '删除', actions: '操作', loading: '加载中…', empty: '暂无数据', more: '加载更多', allStores: '全部门店',
      store: '门店', date: '日期', from: '开始', to: '结束', status: '状态', reason: '原因', amount: '金额', points: '积分',
      yes: '是', no: '否', saved: '已保存', done: '已完成', refresh: '刷新', download: '下载', copy: '复制', close: '关闭',
      conflict: '此记录已被他人修改，已为您载入最新版本，请核对后重新保存。',
    },
    config: {
      pager: { label: '分页', prev: '上一页', next: '下一页', page: '第 {n} 页' },
      problems: {
        forbidden: '您没有执行此操作的权限。',
        notFound: '找不到该记录，可能已被删除。',
        conflict: '该操作与当前状态冲突',
        invalid: '请检查填写的内容',
        tooMany: '操作太频繁，请稍后再试。',
        unavailable: '服务暂时不可用，请稍后再试。',
        badJson: 'JSON 格式错误：{message}',
        notObject: '内容必须是一个 JSON 对象',
      },
      rules: {
        required: '必填',
        yuan: '请输入金额（元），最多两位小数',
        positive: '金额必须大于 0',
        integer: '请输入不小于 0 的整数',
      },
      serverErrors: '服务器指出以下问题：',
      saved: '已保存',
      created: '已创建',
      areYouSure: '请确认',
    },
  },
  en: {
    app: { name: 'Loyalty back office', logout: 'Log out', language: '中文', forbidden: 'You may not open this page', notFound: 'No such page', back: 'Back to the start' },
    menu: { overview: 'Overview', members: 'Members', operations: 'Operations', marketing: 'Marketing', configuration: 'Configuration', system: 'System' },
    benefits: { discount: '{percent}% of the price', multiplier: '{factor}× points', birthday: '{points} birthday points', birthdayCoupon: 'Birthday coupon {name}', coupon: 'Exclusive coupon {name}', freeShipping: 'Free shipping', priority: 'Early access', quota: '{name} {quota} per {period}', per: { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year', term: 'term' } },
    entryTypes: { earn: 'Earned', earnOrder: 'Earned on a purchase', earnActivity: 'Activity reward', earnGift: 'Gift', redeem: 'Redeemed', expire: 'Expired', adjust: 'Adjusted', refund: 'Refund claw-back', reverse: 'Redemption reversed', opening: 'Opening balance' },
    memberStatus: { active: 'Active', frozen: 'Frozen', erased: 'Erased' },
    actors: { staff: 'Staff {name}', member: 'The member', partner: 'Partner {id}', system: 'System', cli: 'Command line' },
    roles: { cashier: 'Cashier', store_manager: 'Store manager', marketing: 'Marketing', customer_service: 'Customer service', finance: 'Finance', admin: 'Admin' },
    common: {
      search: 'Search', reset: 'Reset', save: 'Save', cancel: 'Cancel', confirm: 'Confirm', create: 'New', edit: 'Edit',
      delete: 'Delete', actions: 'Actions', loading: 'Loading…', empty: 'Nothing yet', more: 'Load more', allStores: 'All stores',
      store: 'Store', date: 'Date', from: 'From', to: 'To', status: 'Status', reason: 'Reason', amount: 'Amount', points: 'Points',
      yes: 'Yes', no: 'No', saved: 'Saved', done: 'Done', refresh: 'Refresh', download: 'Download', copy: 'Copy', close: 'Close',
      conflict: 'Someone else changed this record; its latest version is loaded. Check it and save again.',
    },
    config: {
      pager: { label: 'Pages', prev: 'Previous', next: 'Next', page: 'Page {n}' },
      problems: {
        forbidden: 'You may not do this.',
        notFound: 'No such record; it may have been removed.',
        conflict: 'This clashes with the current state',
        invalid: 'Please check what you entered',
        tooMany: 'Too many attempts; try again in a moment.',
        unavailable: 'The service is unavailable for a moment; try again.',
        badJson: 'Not valid JSON: {message}',
        notObject: 'The content must be one JSON object',
      },
      rules: {
        required: 'Required',
        yuan: 'An amount in yuan, at most two decimals',
        positive: 'The amount must be above zero',
        integer: 'A whole number, zero or more',
      },
      serverErrors: 'The server found these problems:',
      saved: 'Saved',
      created: 'Created',
      areYouSure: 'Please confirm',
    },
  },
}
