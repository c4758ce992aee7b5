/** Log-in and joining: the one-time SMS code, the member's tokens, and whether this is the local stack. */
import { api } from '../session'

/** `GET /v1/health`: `{status, version, storage ('emulator' locally, 'aws' deployed), stage}`. */
export const health = () => api.raw('GET', '/health')

/** `POST /v1/auth/otp`: texts a 6-digit code; answers `{expires_in, resend_after}` (seconds). */
export const requestCode = (phone) => api.raw('POST', '/auth/otp', { body: { phone } })

/** `POST /v1/auth/member-token` with `{phone, code, name?}` (a new phone joins) or `{phone, password}`;
 * keeps the tokens in the session. */
export async function logIn(credentials) {
  const tokens = await api.raw('POST', '/auth/member-token', { body: credentials })
  api.keep(tokens)
  return tokens
}
