export default [
  {
    path: 'gift-cards',
    name: 'gift-cards',
    component: () => import('./BatchesView.vue'),
    meta: { title: 'giftCards.title', permission: 'giftcards:manage', chain: true, menu: { group: 'configuration', order: 35, icon: 'Postcard' } },
  },
  {
    path: 'gift-card-sales',
    name: 'gift-card-sales',
    component: () => import('./SaleView.vue'),
    meta: { title: 'giftCards.saleTitle', permission: 'giftcards:sell', menu: { group: 'operations', order: 5, icon: 'Postcard' } },
  },
]
