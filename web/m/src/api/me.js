/** The member's own profile, consents, password and member code (`/v1/me…`). */
import { api } from '../session'

let mine = null
api.onChange((tokens) => {
  if (!tokens) mine = null
})

/** `GET /v1/me` with its ETag: `{body: MemberOut, etag}` for an edit with If-Match. */
export async function profile() {
  const answer = await api.getVersioned('/me')
  mine = answer.body
  return answer
}

/** The member's id (`mb_…`), from `GET /v1/me` (read once a session). */
export async function memberId() {
  if (!mine) await profile()
  return mine.member_id
}

/** `PATCH /v1/me` (JSON merge patch) with `If-Match`: 412 when the profile changed since `etag` was read. */
export async function editProfile(patch, etag) {
  const answer = await api.call('PATCH', '/me', {
    body: patch,
    headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': etag },
    full: true,
  })
  mine = answer.body
  return answer
}

/** `PUT /v1/me/password` with `{password, current_password?, code?}`: the answer's fresh tokens replace the
 * session's (a new password ends every other session). */
export async function setPassword(body) {
  const tokens = await api.put('/me/password', body)
  api.keep(tokens)
  return tokens
}

/** `GET /v1/me/code`: `{code, expires_at, refresh_after}`, the member code (会员码) of this minute. */
export const memberCode = () => api.get('/me/code')
