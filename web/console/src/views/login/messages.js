export default {
  'zh-CN': { login: { title: '登录', username: '用户名', password: '密码', submit: '登录', failed: '用户名或密码不正确', locked: '尝试次数过多，请稍后再试' } },
  en: { login: { title: 'Log in', username: 'Username', password: 'Password', submit: 'Log in', failed: 'Wrong username or password', locked: 'Too many attempts; try again later' } },
}
