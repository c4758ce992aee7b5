/** Message words the notification screens share (templates, policy, report, a member's messages and consents):
 * a kind, channel, purpose, status, reason or consent source as it reads, the API's own name when unknown. */
import { i18n } from '../../i18n'

const said = (group, name) => {
  const key = `notifications.${group}.${name}`
  return i18n.global.te(key) ? i18n.global.t(key) : name
}

export const kindText = (kind) => said('kinds', kind)
export const channelText = (channel) => (channel ? said('channels', channel) : '—')
export const purposeText = (purpose) => said('purposes', purpose)
export const statusText = (status) => said('statuses', status)
export const sourceText = (source) => (source ? said('sources', source) : '—')

/** A reason (`no-consent`, a provider's refusal …), or a report's `<status>:<reason>`. */
export function reasonText(reason) {
  if (!reason) return ''
  const [status, why] = reason.includes(':') ? reason.split(':', 2) : ['', reason]
  return status ? `${statusText(status)} · ${said('reasons', why)}` : said('reasons', why)
}

/** The el-tag type of a message's status. */
export const STATUS_TAG = {
  queued: 'info', held: 'warning', sending: 'info', sent: 'success', inbox: 'primary', suppressed: 'warning', failed: 'danger', lapsed: 'info',
}

/** The el-tag type of a purpose. */
export const PURPOSE_TAG = { login: 'info', service: 'success', marketing: 'warning' }

/** The external channels a member may switch per purpose, in the order the screens list them. */
export const CHANNELS = ['sms', 'email', 'push', 'wechat']
export const PURPOSES = ['service', 'marketing']
