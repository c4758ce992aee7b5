export default [
  {
    path: 'store-sales',
    name: 'store-sales',
    component: () => import('./StoreSalesView.vue'),
    meta: { title: 'storeSales.title', permission: 'sales:journal', menu: { group: 'overview', order: 4, icon: 'Tickets' } },
  },
]
