export default [
  {
    path: 'partners',
    name: 'partners',
    component: () => import('./PartnersView.vue'),
    meta: { title: 'partners.title', permission: 'partners:admin', menu: { group: 'system', order: 20, icon: 'Connection' } },
  },
]
