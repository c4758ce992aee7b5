export default [
  {
    path: 'store-sales',
    name: 'store-sales',
    component: () => import('./StoreSalesView.vue'),
    meta: { title: 'storeSales.title', permission: 'members:read', menu: { group: 'overview', order: 4, icon: 'Tickets' } },
  },
]
