export default [
  { path: '/messages', name: 'inbox', component: () => import('./InboxView.vue'), meta: { title: 'messages.inbox', back: '/me' } },
  { path: '/messages/settings', name: 'message-settings', component: () => import('./SettingsView.vue'), meta: { title: 'messages.settings', back: '/me' } },
  { path: '/messages/consent-history', name: 'consent-history', component: () => import('./ConsentHistoryView.vue'), meta: { title: 'messages.history', back: '/messages/settings' } },
  { path: '/unsubscribe', name: 'unsubscribe', component: () => import('./UnsubscribeView.vue'), meta: { title: 'messages.unsubscribe', public: true } },
]
