/** Display helpers for the screens: instants in the browser's zone, money in yuan (one implementation each). */
import { i18n } from '../i18n'

export { yuan } from '@shared/session'
export { businessToday, money, signedMoney, when } from './forms'

/** A phone as people read it: a mainland mobile in E.164 (`+8613800138000`) as `138 0013 8000`; any other as it is. */
export function phoneText(phone) {
  const mobile = /^\+86(1\d{2})(\d{4})(\d{4})$/.exec(phone || '')
  return mobile ? mobile.slice(1).join(' ') : phone
}

/** What an entry says in the console's language: the platform writes its reasons in English too (`reason_en`, a
 * mall step's `why_en`, a refund's `explanation_en`); what a person wrote reads as they wrote it. */
export function localized(item, field = 'reason') {
  return (i18n.global.locale.value === 'en' && item[`${field}_en`]) || item[field]
}
