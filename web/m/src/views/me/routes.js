export default [
  { path: '/me', name: 'me', component: () => import('./MeView.vue'), meta: { title: 'me.title', tab: true } },
  { path: '/me/profile', name: 'profile', component: () => import('./ProfileView.vue'), meta: { title: 'profile.title', back: '/me' } },
  { path: '/me/consents', redirect: '/messages/settings' }, // consents now live with the message settings
  { path: '/me/privacy', name: 'account-privacy', component: () => import('./PrivacyView.vue'), meta: { title: 'privacy.title', back: '/me' } },
  { path: '/me/password', name: 'password', component: () => import('./PasswordView.vue'), meta: { title: 'password.title', back: '/me' } },
  { path: '/code', name: 'code', component: () => import('./MemberCodeView.vue'), meta: { title: 'code.title', back: '/home' } },
]
