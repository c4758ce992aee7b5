export default [
  { path: '/mall', name: 'mall', component: () => import('./MallView.vue'), meta: { title: 'mall.title', back: '/home' } },
  { path: '/mall/rewards/:rewardId', name: 'reward', component: () => import('./RewardView.vue'), meta: { title: 'mall.rewardTitle', back: '/mall' } },
  { path: '/mall/orders', name: 'mall-orders', component: () => import('./OrdersView.vue'), meta: { title: 'mall.ordersTitle', back: '/mall' } },
  { path: '/mall/orders/:orderId', name: 'mall-order', component: () => import('./OrderView.vue'), meta: { title: 'mall.orderTitle', back: '/mall/orders' } },
]
