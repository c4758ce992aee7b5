export default [
  {
    path: 'mall',
    name: 'mall',
    component: () => import('./RewardsView.vue'),
    meta: { title: 'mall.title', permission: 'mall:manage', chain: true, menu: { group: 'marketing', order: 20, icon: 'Present' } },
  },
  {
    path: 'mall/orders',
    name: 'mall-orders',
    component: () => import('./OrdersView.vue'),
    meta: { title: 'mall.ordersTitle', permission: 'mall:fulfil', menu: { group: 'operations', order: 10, icon: 'Box' } },
  },
]
