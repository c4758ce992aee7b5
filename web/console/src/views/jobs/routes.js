export default [
  {
    path: 'jobs',
    name: 'jobs',
    component: () => import('./JobsView.vue'),
    meta: { title: 'jobs.title', permission: 'jobs:run', chain: true, menu: { group: 'system', order: 30, icon: 'Timer' } },
  },
]
