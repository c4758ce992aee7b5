export default [
  {
    path: 'staff',
    name: 'staff',
    component: () => import('./StaffView.vue'),
    meta: { title: 'staff.title', permission: 'staff:admin', menu: { group: 'system', order: 10, icon: 'User' } },
  },
]
