export default [
  {
    path: 'member-imports',
    name: 'member-imports',
    component: () => import('./ImportView.vue'),
    meta: { title: 'imports.title', permission: 'members:import', menu: { group: 'members', order: 90, icon: 'UploadFilled' } },
  },
]
