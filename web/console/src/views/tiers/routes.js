export default [
  {
    path: 'tiers',
    name: 'tiers',
    component: () => import('./TiersView.vue'),
    meta: { title: 'tiers.title', permission: 'rules:write', chain: true, menu: { group: 'configuration', order: 20, icon: 'Medal' } },
  },
]
