export default [
  {
    path: 'point-batches',
    name: 'point-batches',
    component: () => import('./BatchView.vue'),
    meta: { title: 'pointBatches.title', permission: 'points:adjust', chain: true, menu: { group: 'members', order: 80, icon: 'Coin' } },
  },
]
