/** A member's tier and growth value, and staff overrides. */
import { api } from '../session'

export const tierOf = (memberId) => api.get(`/members/${memberId}/tier`)
export const growthOf = (memberId, cursor) => api.get(`/members/${memberId}/growth`, { cursor })
export const setOverride = (memberId, body) => api.put(`/members/${memberId}/tier/override`, body)
export const liftOverride = (memberId) => api.delete(`/members/${memberId}/tier/override`)
export const programmes = () => api.get('/tiers/programmes')
