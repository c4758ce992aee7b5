export default [
  { path: '/feedback', name: 'feedback', component: () => import('./FeedbackView.vue'), meta: { title: 'feedback.title', back: '/me' } },
]
