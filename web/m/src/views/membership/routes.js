export default [
  { path: '/membership', name: 'membership', component: () => import('./MembershipView.vue'), meta: { title: 'membership.title', back: '/home' } },
  { path: '/benefits', name: 'benefits', component: () => import('./BenefitsView.vue'), meta: { title: 'membership.benefitsTitle', back: '/membership' } },
]
