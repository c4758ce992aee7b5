export default [
  {
    path: 'rules',
    name: 'rules',
    component: () => import('./RulesView.vue'),
    meta: { title: 'rules.title', permission: 'rules:write', chain: true, menu: { group: 'configuration', order: 10, icon: 'Coin' } },
  },
]
