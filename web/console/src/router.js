/**
 * Routes come from each screen folder's `routes.js` (a list of route records). `meta.permission` hides the
 * menu entry and guards the route; `meta.menu` ({ group, order, icon }) puts it in the side menu;
 * `meta.title` is an i18n key, also the page's title.
 */
import { watch } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
import { i18n } from './i18n'
import Shell from './layout/Shell.vue'
import { api, loadMe, mayOpen, staff } from './session'

const folders = import.meta.glob('./views/*/routes.js', { eager: true, import: 'default' })
export const screens = Object.values(folders).flat()

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/login/LoginView.vue'), meta: { title: 'login.title', public: true } },
    {
      path: '/',
      component: Shell,
      children: [
        ...screens,
        { path: 'forbidden', name: 'forbidden', component: () => import('./layout/ForbiddenView.vue'), meta: { title: 'app.forbidden' } },
        { path: ':rest(.*)*', name: 'not-found', component: () => import('./layout/ForbiddenView.vue'), meta: { title: 'app.notFound' } },
      ],
    },
  ],
})

/** The first screen a staff member may open (the dashboard for most, the counter for a cashier). */
export function homeFor() {
  const open = screens.filter((screen) => screen.meta?.menu && mayOpen(screen.meta))
  open.sort((a, b) => (a.meta.menu.home ?? 99) - (b.meta.menu.home ?? 99))
  return open.length ? { name: open[0].name } : { name: 'forbidden' }
}

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!api.loggedIn) return { name: 'login', query: { next: to.fullPath } }
  if (!staff.me) {
    try {
      await loadMe()
    } catch {
      await api.logOut()
      return { name: 'login' }
    }
  }
  if (to.path === '/') return homeFor()
  if (!mayOpen(to.meta)) return { name: 'forbidden' }
  return true
})

/** A page's title: its screen's, then the app's, in the chosen language. */
function titleOf(route) {
  const title = route.meta.title ? i18n.global.t(route.meta.title) : ''
  return `${title ? title + ' · ' : ''}${i18n.global.t('app.name')}`
}

router.afterEach((to) => (document.title = titleOf(to)))
watch(i18n.global.locale, () => (document.title = titleOf(router.currentRoute.value)))
