/** Routes come from each screen folder's `routes.js`; every route but the log-in needs a member session. */
import { createRouter, createWebHashHistory } from 'vue-router'
import { i18n } from './i18n'
import { api } from './session'

const folders = import.meta.glob('./views/*/routes.js', { eager: true, import: 'default' })

export const router = createRouter({ history: createWebHashHistory(), routes: Object.values(folders).flat() })

router.beforeEach((to) => (to.meta.public || api.loggedIn ? true : { name: 'login', query: { next: to.fullPath } }))

router.afterEach((to) => {
  const title = to.meta.title ? i18n.global.t(to.meta.title) : ''
  document.title = `${title ? title + ' · ' : ''}${i18n.global.t('app.name')}`
})
