export default [
  {
    path: 'catalog',
    name: 'catalog',
    component: () => import('./CatalogView.vue'),
    meta: { title: 'catalog.title', permission: 'rules:write', chain: true, menu: { group: 'configuration', order: 45, icon: 'CollectionTag' } },
  },
]
