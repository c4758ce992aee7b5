/** The member's messages (消息): the inbox (站内信) and its unread count, message settings (consent per channel and
 * purpose, the language messages come in), the consent history, and the public unsubscribe link. */
import { api } from '../session'

const path = (id) => encodeURIComponent(id)

/** `GET /v1/me/inbox`: `{items: [{message_id, kind, purpose, title, text, created_at, read_at}], unread, next_cursor}`,
 * newest first. */
export const inbox = (cursor, limit = 20) => api.get('/me/inbox', { cursor, limit })

/** The unread count alone (for a badge): one message read with it. */
export const unreadCount = async () => (await api.get('/me/inbox', { limit: 1 })).unread

/** `POST /v1/me/inbox/{id}/read`: the message, read (reading it again changes nothing). */
export const markRead = (messageId) => api.post(`/me/inbox/${path(messageId)}/read`)

/** `POST /v1/me/inbox/read-all`: `{marked, unread}`; up to 40 a call, so called again while some are unread. */
export async function markAllRead() {
  let answer = await api.post('/me/inbox/read-all')
  for (let rounds = 0; answer.unread > 0 && answer.marked > 0 && rounds < 25; rounds += 1) answer = await api.post('/me/inbox/read-all')
  return answer
}

/** `GET /v1/me/message-preferences`: `{language, consents: [{channel, purpose, granted, given, source, at,
 * wording_version}], wording: {version, text}, unread, ...}`. */
export const preferences = () => api.get('/me/message-preferences')

/** `PATCH /v1/me/message-preferences` `{consents: [{channel, purpose, granted}], wording_version, language}`:
 * granting marketing needs the version of the wording shown (409 `stale-wording` when it changed). */
export const changePreferences = (patch) => api.patch('/me/message-preferences', patch)

/** `GET /v1/me/consent-history`: `{items: [{channel, purpose, granted, source, wording_version, actor, note, at}]}`. */
export const consentHistory = () => api.get('/me/consent-history')

/** `GET /v1/unsubscribe?token=` (no log-in): `{channel, purpose, granted}`, what the link withdraws. */
export const readUnsubscribe = (token) => api.raw('GET', '/unsubscribe', { params: { token } })

/** `POST /v1/unsubscribe?token=` (no log-in): withdraws it, `{channel, purpose, granted: false}`. */
export const unsubscribe = (token) => api.raw('POST', '/unsubscribe', { params: { token } })
