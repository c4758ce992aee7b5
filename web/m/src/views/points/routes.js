export default [
  { path: '/points', name: 'points', component: () => import('./PointsView.vue'), meta: { title: 'points.title', tab: true } },
  { path: '/points/rules', name: 'points-rules', component: () => import('./RulesView.vue'), meta: { title: 'points.rules.title', back: '/points' } },
  // Points buy what the mall offers: the free-form redemption that bought nothing led members to expect a reward.
  { path: '/points/redeem', redirect: '/mall' },
]
