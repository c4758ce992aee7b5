export default [
  { path: '/purchases', name: 'purchases', component: () => import('./PurchasesView.vue'), meta: { title: 'purchases.title', back: '/me' } },
]
