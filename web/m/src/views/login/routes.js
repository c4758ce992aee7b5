export default [
  { path: '/login', name: 'login', component: () => import('./LoginView.vue'), meta: { title: 'login.title', public: true } },
  { path: '/', redirect: '/home' },
]
