export default [
  {
    path: 'dashboard',
    name: 'dashboard',
    component: () => import('./DashboardView.vue'),
    meta: { title: 'dashboard.title', permission: 'reports:read', menu: { group: 'overview', order: 1, icon: 'DataLine', home: 1 } },
  },
]
