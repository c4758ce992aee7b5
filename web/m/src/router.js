/** Routes come from each screen folder's `routes.js`; every route but the log-in needs a member session.
 * `meta.title` (an i18n key) names the screen in its nav bar and the document title; `meta.tab` shows the tab
 * bar; `meta.back` gives the nav bar a back arrow. */
import { closeToast } from 'vant'
import { createRouter, createWebHashHistory } from 'vue-router'
import { i18n } from './i18n'
import { api } from './session'

const folders = import.meta.glob('./views/*/routes.js', { eager: true, import: 'default' })

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [...Object.values(folders).flat(), { path: '/:pathMatch(.*)*', redirect: '/home' }],
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach((to) => {
  const next = typeof to.query.next === 'string' && to.query.next.startsWith('/') ? to.query.next : '/home'
  if (to.name === 'login' && api.loggedIn) return next
  return to.meta.public || api.loggedIn ? true : { name: 'login', query: { next: to.fullPath } }
})

/** The document title of a route: "<screen> · 会员中心". */
export function titleOf(route) {
  const title = route.meta.title ? i18n.global.t(route.meta.title) : ''
  return `${title ? title + ' · ' : ''}${i18n.global.t('app.name')}`
}

router.afterEach((to, from) => {
  document.title = titleOf(to)
  if (to.path !== from.path) closeToast(true) // a toast belongs to the screen that raised it
})

// A session that ends (log-out, a refresh token refused) sends the member back to the log-in.
api.onChange((tokens) => {
  const route = router.currentRoute.value
  if (!tokens && !route.meta.public) router.replace({ name: 'login' })
})
