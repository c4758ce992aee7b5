/**
 * zh-CN by default, en on request (kept in localStorage). Each screen folder keeps its own `messages.js`
 * ({ 'zh-CN': {...}, en: {...} }), merged here, so a new capability adds its words beside its screens.
 */
import { createI18n } from 'vue-i18n'
import common from './messages'

const LOCALE_KEY = 'loyalty.console.locale'
const folders = import.meta.glob('./views/*/messages.js', { eager: true, import: 'default' })

function merged(locale) {
  return Object.values(folders).reduce((all, messages) => ({ ...all, ...messages[locale] }), { ...common[locale] })
}

const initial = localStorage.getItem(LOCALE_KEY) || 'zh-CN'

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': merged('zh-CN'), en: merged('en') },
})
document.documentElement.lang = initial // the page's language, which the API's words follow too (Accept-Language)

export function setLocale(locale) {
  i18n.global.locale.value = locale
  localStorage.setItem(LOCALE_KEY, locale)
  document.documentElement.lang = locale
}
