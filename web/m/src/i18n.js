/** zh-CN by default, en on request (kept in localStorage). Words every screen shares are in `messages.js`;
 * each screen folder keeps its own `messages.js` ({ 'zh-CN': {...}, en: {...} }) under its own top-level key. */
import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import enUS from 'vant/es/locale/lang/en-US'
import zhCN from 'vant/es/locale/lang/zh-CN'
import common from './messages'

const LOCALE_KEY = 'loyalty.m.locale'
const folders = import.meta.glob('./views/*/messages.js', { eager: true, import: 'default' })
const merged = (locale) =>
  Object.values(folders).reduce((all, messages) => ({ ...all, ...messages[locale] }), { ...common[locale] })
const initial = localStorage.getItem(LOCALE_KEY) || 'zh-CN'

export const LOCALES = ['zh-CN', 'en']

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': merged('zh-CN'), en: merged('en') },
})
Locale.use(initial, initial === 'en' ? enUS : zhCN)
document.documentElement.lang = initial

export function setLocale(locale) {
  i18n.global.locale.value = locale
  Locale.use(locale, locale === 'en' ? enUS : zhCN)
  localStorage.setItem(LOCALE_KEY, locale)
  document.documentElement.lang = locale
}
