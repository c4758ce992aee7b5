export default [
  { path: '/tier', name: 'tier', component: () => import('./TierView.vue'), meta: { title: 'tiers.title', back: '/home' } },
]
