export default [
  {
    path: 'agreements',
    name: 'agreements',
    component: () => import('./AgreementsView.vue'),
    meta: { title: 'agreements.title', permission: 'agreements:publish', chain: true, menu: { group: 'configuration', order: 50, icon: 'DocumentChecked' } },
  },
]
