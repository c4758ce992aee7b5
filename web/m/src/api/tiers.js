/** The member's tier (会员等级) and growth value (成长值). */
import { api } from '../session'

/** `GET /v1/me/tier`: tier, progress to the next, retention, benefits and history. */
export const tier = () => api.get('/me/tier')

/** `GET /v1/me/growth`: lifetime value, monthly figures and entries, newest first. */
export const growth = (cursor, limit = 20) => api.get('/me/growth', { cursor, limit })
