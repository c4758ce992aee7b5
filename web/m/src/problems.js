/** What a failed call means to a member, in their language: by problem type, else status, else the detail. */
import { ApiError } from '@shared/session'
import { i18n } from './i18n'

/**
 * @param {unknown} error what a call threw
 * @param {Record<string, string>} [special] i18n keys for this screen's own readings, by problem kind or status
 */
export function problemText(error, special = {}) {
  const { t, te } = i18n.global
  if (!(error instanceof ApiError)) return t('problem.network')
  const key = special[error.kind] || special[error.status]
  if (key) return t(key)
  if (error.kind === 'validation-failed' && error.fields.length) {
    return `${t('problem.validation-failed')}: ${error.fields.map((f) => f.message).join('; ')}`
  }
  if (te(`problem.${error.kind}`)) return t(`problem.${error.kind}`)
  return t('problem.generic', { detail: error.message })
}
