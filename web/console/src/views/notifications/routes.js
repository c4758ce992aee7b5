export default [
  {
    path: 'notifications',
    name: 'notifications',
    component: () => import('./NotificationsView.vue'),
    meta: { title: 'notifications.title', permission: 'notifications:read', chain: true, menu: { group: 'marketing', order: 30, icon: 'Message' } },
  },
]
