export default [
  {
    path: 'wallet-plans',
    name: 'wallet-plans',
    component: () => import('./PlansView.vue'),
    meta: { title: 'walletPlans.title', permission: 'wallet:plans', menu: { group: 'configuration', order: 30, icon: 'Wallet' } },
  },
]
