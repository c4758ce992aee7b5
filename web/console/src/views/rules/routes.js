export default [
  {
    path: 'rules',
    name: 'rules',
    component: () => import('./RulesView.vue'),
    meta: { title: 'rules.title', permission: 'rules:write', menu: { group: 'configuration', order: 10, icon: 'Coin' } },
  },
]
