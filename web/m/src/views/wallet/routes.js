export default [
  { path: '/wallet', name: 'wallet', component: () => import('./WalletView.vue'), meta: { title: 'wallet.title', tab: true } },
]
