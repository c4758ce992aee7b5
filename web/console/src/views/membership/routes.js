export default [
  {
    path: 'membership',
    name: 'membership',
    component: () => import('./PlansView.vue'),
    meta: { title: 'membership.title', permission: 'membership:plans', chain: true, menu: { group: 'marketing', order: 25, icon: 'CreditCard' } },
  },
]
