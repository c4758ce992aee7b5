/** Display helpers for the screens: instants in the browser's zone, money in yuan (one implementation each). */
import { localizedWith } from '@shared/phrases'
import { i18n } from '../i18n'

export { yuan } from '@shared/session'
export { businessToday, grouped, money, signedMoney, when } from './forms'

/** A phone as people read it: a mainland mobile in E.164 (`+8613800138000`) as `138 0013 8000`; any other as it is. */
export function phoneText(phone) {
  const mobile = /^\+86(1\d{2})(\d{4})(\d{4})$/.exec(phone || '')
  return mobile ? mobile.slice(1).join(' ') : phone
}

/** What an entry says in the reader's language (the platform's words in English too). */
export const localized = localizedWith(i18n)
