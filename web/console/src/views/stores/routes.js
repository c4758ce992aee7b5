export default [
  {
    path: 'stores',
    name: 'stores',
    component: () => import('./StoresView.vue'),
    meta: { title: 'stores.title', permission: 'stores:read', menu: { group: 'configuration', order: 40, icon: 'Shop' } },
  },
]
