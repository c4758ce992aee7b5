/**
 * What the platform wrote, in the reader's language: it writes its reasons in English too (`reason_en`, a mall step's
 * `why_en`, a card refund's `explanation_en`); what a person wrote reads as they wrote it. Each app binds it to its
 * own vue-i18n instance: `export const localized = localizedWith(i18n)`.
 */
export function localizedWith(i18n) {
  return (item, field = 'reason') => (i18n.global.locale.value === 'en' && item[`${field}_en`]) || item[field]
}
