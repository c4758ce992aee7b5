/** zh-CN by default, en on request (kept in localStorage); each screen folder keeps its own `messages.js`. */
import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import enUS from 'vant/es/locale/lang/en-US'
import zhCN from 'vant/es/locale/lang/zh-CN'

const LOCALE_KEY = 'loyalty.m.locale'
const folders = import.meta.glob('./views/*/messages.js', { eager: true, import: 'default' })
const merged = (locale) => Object.values(folders).reduce((all, messages) => ({ ...all, ...messages[locale] }), {})
const initial = localStorage.getItem(LOCALE_KEY) || 'zh-CN'

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': merged('zh-CN'), en: merged('en') },
})
Locale.use(initial, initial === 'en' ? enUS : zhCN)

export function setLocale(locale) {
  i18n.global.locale.value = locale
  Locale.use(locale, locale === 'en' ? enUS : zhCN)
  localStorage.setItem(LOCALE_KEY, locale)
  document.documentElement.lang = locale
}
