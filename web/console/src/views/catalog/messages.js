export default {
  'zh-CN': {
    catalog: {
      title: '品类与品牌名称', categories: '品类', brands: '品牌', code: '编码（收银机上报）', zh: '中文名称', en: '英文名称',
      enHint: '不填则用中文', add: '添加一行', remove: '删除', save: '保存', saved: '已保存，各处一分钟内生效',
      note: '收银机上报的是编码（如 bread），会员与员工看到的是这里的名称：积分规则、优惠券规则、商品与时段报表都会使用。未命名的编码显示编码本身。',
      unnamed: '最近 30 天售出但未命名：', addUnnamed: '全部添加', codeRule: '编码为 1–64 个字符（与收银机上报的完全一致）', duplicate: '编码重复', nameRule: '请填写 1–20 个字的名称',
      conflict: '他人刚刚保存过，已重新读取，请再次修改后保存',
    },
  },
  en: {
    catalog: {
      title: 'Category and brand names', categories: 'Categories', brands: 'Brands', code: 'Code (as the tills send it)', zh: 'Chinese name', en: 'English name',
      enHint: 'empty: the Chinese', add: 'Add a row', remove: 'Remove', save: 'Save', saved: 'Saved: in use everywhere within a minute',
      note: 'The tills send codes (such as bread); members and staff read these names: in the earn rules, coupons\' rules and the categories-and-hours report. A code without a name reads as itself.',
      unnamed: 'Sold in the last 30 days without a name: ', addUnnamed: 'Add them all', codeRule: 'A code of 1-64 characters, exactly as the tills send it', duplicate: 'Code named twice', nameRule: 'A name of 1-20 characters',
      conflict: 'Someone saved meanwhile: the names were read again, change them and save again',
    },
  },
}
