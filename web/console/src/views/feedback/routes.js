export default [
  {
    path: 'feedback',
    name: 'feedback',
    component: () => import('./FeedbackView.vue'),
    meta: { title: 'feedback.title', permission: 'feedback:read', menu: { group: 'operations', order: 50, icon: 'ChatDotRound' } },
  },
]
