export default [
  {
    path: 'coupons',
    name: 'coupons',
    component: () => import('./CouponsView.vue'),
    meta: { title: 'coupons.title', permission: 'coupons:manage', chain: true, menu: { group: 'marketing', order: 10, icon: 'Ticket' } },
  },
]
