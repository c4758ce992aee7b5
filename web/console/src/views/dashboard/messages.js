export default {
  'zh-CN': { dashboard: { title: '数据概览' } },
  en: { dashboard: { title: 'Dashboard' } },
}
