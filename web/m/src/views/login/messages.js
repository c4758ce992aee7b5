export default {
  'zh-CN': { app: { name: '会员中心' }, login: { title: '登录' } },
  en: { app: { name: 'Member centre' }, login: { title: 'Log in' } },
}
