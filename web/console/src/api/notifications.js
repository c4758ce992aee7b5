/** Messages to members (消息): templates per kind and channel, the messaging policy, marketing announcements, the
 * day's report and its unsent messages, and one member's message history and consents (授权). */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** Every kind on every channel it may use: `{items: [{kind, channel, purpose, custom, words, variables,
 * provider_template, params, version}]}` (staff's words where set, the defaults elsewhere). */
export const listTemplates = () => api.get('/notifications/templates')

/** Set a kind's words on a channel (`notifications:manage`): `{words: {'zh-CN': {title, text}, en?}, provider_template,
 * params: [[provider name, variable], ...]}`, `If-Match` its version; a 422 names the fields (unknown variables, a
 * marketing SMS without its opt-out wording). */
export const setTemplate = (kind, channel, body, version) =>
  api.put(`/notifications/templates/${path(kind)}/${path(channel)}`, body, { 'If-Match': `"${version}"` })

/** Go back to a kind's default words on a channel. */
export const resetTemplate = (kind, channel) => api.delete(`/notifications/templates/${path(kind)}/${path(channel)}`)

/** The messaging policy: quiet hours, delay, caps, low balance, SMS opt-out wording, kinds, consent wording, version. */
export const getPolicy = () => api.get('/notifications/policy')

/** A merge patch of the policy, `If-Match` the version read (412 when someone changed it since). */
export const patchPolicy = (patch, version) => api.patch('/notifications/policy', patch, { 'If-Match': `"${version}"` })

/** A marketing message to up to 1,000 members, once per `key` (an Idempotency-Key kept across retries of one
 * intended message): `{announcement_id, members}` (each decided on its own). */
export const announce = (title, text, memberIds, memberNos, key) =>
  api.post('/notifications/announcements', { title, text, member_ids: memberIds, member_nos: memberNos }, { 'Idempotency-Key': key })

/** A business day's messages per kind: `{day, kinds: [{kind, outcomes, reasons}]}`. */
export const dayReport = (day) => api.get('/notifications/report', { day })

/** A page of a kind's messages a day did not send (or the inbox alone took): `{items, next_cursor}`. */
export const unsent = (day, kind, params) => api.get('/notifications/unsent', { day, kind, ...params })

/** A page of a member's messages, newest first, each with its decision: `{items, next_cursor}`. */
export const memberMessages = (memberId, cursor) => api.get(`/members/${path(memberId)}/messages`, { cursor })

/** A member's consents per channel and purpose, the consent wording and its version. */
export const memberPreferences = (memberId) => api.get(`/members/${path(memberId)}/message-preferences`)

/** Record answers the member gave staff (`members:write`): `consents: [{channel, purpose, granted}]`, the `note`
 * saying how, and the wording version shown when granting marketing (409 `stale-wording` when it changed). */
export const recordPreferences = (memberId, body) => api.patch(`/members/${path(memberId)}/message-preferences`, body)

/** Every change of a member's consents, newest first, with its proof. */
export const consentHistory = (memberId) => api.get(`/members/${path(memberId)}/consent-history`)
