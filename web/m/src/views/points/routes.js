export default [
  { path: '/points', name: 'points', component: () => import('./PointsView.vue'), meta: { title: 'points.title', tab: true } },
  { path: '/points/redeem', name: 'redeem', component: () => import('./RedeemView.vue'), meta: { title: 'points.redeemTitle', back: '/points' } },
]
