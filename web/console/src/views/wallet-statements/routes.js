export default [
  {
    path: 'wallet-statements',
    name: 'wallet-statements',
    component: () => import('./StatementView.vue'),
    meta: { title: 'walletStatements.title', permission: 'wallet:statements', menu: { group: 'overview', order: 3, icon: 'Wallet' } },
  },
]
