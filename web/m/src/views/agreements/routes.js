export default [
  { path: '/agreements/terms', name: 'terms', component: () => import('./AgreementView.vue'), props: { kind: 'terms' }, meta: { title: 'agreements.terms', back: '/me', public: true } },
  { path: '/agreements/privacy', name: 'privacy', component: () => import('./AgreementView.vue'), props: { kind: 'privacy' }, meta: { title: 'agreements.privacy', back: '/me', public: true } },
]
