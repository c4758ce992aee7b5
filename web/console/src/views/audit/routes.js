export default [
  {
    path: 'audit',
    name: 'audit',
    component: () => import('./AuditView.vue'),
    meta: { title: 'audit.title', permission: 'audit:read', chain: true, menu: { group: 'system', order: 40, icon: 'Document' } },
  },
]
