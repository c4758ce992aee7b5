/** Display helpers: instants in the member's time zone, signed points, money. */
import { localizedWith } from '@shared/phrases'
import { i18n } from './i18n'

const locale = () => (i18n.global.locale.value === 'en' ? 'en-GB' : 'zh-CN')

/** Money in fen (分) as yuan with separators for display: 171200 → "1,712.00". */
export function yuan(fen) {
  return (Number(fen || 0) / 100).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

/** A date's parts as each language reads them without doubt: 2026/11/30 in Chinese, 30 Nov 2026 in English (never
 * 11/30 or 30/11, which readers of one English or another take for the other). */
const DATE_PARTS = () => (i18n.global.locale.value === 'en'
  ? { year: 'numeric', month: 'short', day: 'numeric' }
  : { year: 'numeric', month: '2-digit', day: '2-digit' })

/** A UTC instant (ISO 8601) as local date and time, e.g. 2026/11/30 15:53, 30 Nov 2026, 15:53. */
export function dateTime(iso) {
  if (!iso) return ''
  return new Intl.DateTimeFormat(locale(), { ...DATE_PARTS(), hour: '2-digit', minute: '2-digit', hour12: false })
    .format(new Date(iso))
}

/** A business date (YYYY-MM-DD) as it reads: 2026/11/30, 30 Nov 2026. */
export function day(ymd) {
  if (!ymd) return ''
  const [y, m, d] = ymd.split('-').map(Number)
  return new Intl.DateTimeFormat(locale(), DATE_PARTS()).format(new Date(y, m - 1, d))
}

/** Points with their sign, thousands separated: +1,280, −50. */
export function signed(points) {
  return points > 0 ? `+${number(points)}` : points < 0 ? `−${number(Math.abs(points))}` : '0'
}

/** Money with its sign, in yuan: +¥12.00, −¥3.50. */
export function signedYuan(fen) {
  return `${fen < 0 ? '−' : '+'}¥${yuan(Math.abs(fen))}`
}

/** A thousands-separated whole number. */
export function number(n) {
  return Number(n || 0).toLocaleString(locale())
}

/** What an entry says in the reader's language (the platform's words in English too). */
export const localized = localizedWith(i18n)
