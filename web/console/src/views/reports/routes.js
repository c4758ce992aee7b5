export default [
  {
    path: 'reports',
    name: 'reports',
    component: () => import('./ReportsView.vue'),
    meta: { title: 'reports.title', permission: 'reports:read', menu: { group: 'overview', order: 2, icon: 'TrendCharts' } },
  },
]
