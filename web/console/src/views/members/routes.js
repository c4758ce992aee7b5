export default [
  {
    path: 'members',
    name: 'members',
    component: () => import('./MemberListView.vue'),
    meta: { title: 'members.title', permission: 'members:read', menu: { group: 'members', order: 1, icon: 'User', home: 3 } },
  },
  {
    path: 'members/:memberId',
    name: 'member',
    component: () => import('./MemberDetailView.vue'),
    props: true,
    meta: { title: 'members.detail', permission: 'members:read' },
  },
]
