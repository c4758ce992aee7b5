export default [
  {
    path: 'counter',
    name: 'counter',
    component: () => import('./CounterView.vue'),
    meta: { title: 'counter.title', permission: 'points:redeem', menu: { group: 'operations', order: 1, icon: 'Shop', home: 2 } },
  },
]
