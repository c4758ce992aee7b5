export default [
  { path: '/home', name: 'home', component: () => import('./HomeView.vue'), meta: { title: 'home.title', tab: true } },
]
