export default [
  { path: '/coupons', name: 'coupons', component: () => import('./CouponsView.vue'), meta: { title: 'coupons.title', back: '/home' } },
  { path: '/coupons/claim', name: 'claim', component: () => import('./ClaimView.vue'), meta: { title: 'coupons.claimCentre', back: '/coupons' } },
  { path: '/gifts/:token', name: 'gift', component: () => import('./GiftView.vue'), meta: { title: 'coupons.gift.title', back: '/coupons' } },
]
