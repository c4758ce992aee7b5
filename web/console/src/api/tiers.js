/** Tiers (会员等级): a member's tier and growth value, staff overrides; programmes, dry runs and applying one. */
import { api } from '../session'

export const tierOf = (memberId) => api.get(`/members/${memberId}/tier`)
export const growthOf = (memberId, cursor) => api.get(`/members/${memberId}/growth`, { cursor })
export const setOverride = (memberId, body) => api.put(`/members/${memberId}/tier/override`, body)
export const liftOverride = (memberId) => api.delete(`/members/${memberId}/tier/override`)

/** `{current, versions}`, newest first (`stores:read`). */
export const programmes = () => api.get('/tiers/programmes')

/** Draft a version (`rules:write`); it changes nothing until applied. */
export const draftProgramme = (programme) => api.post('/tiers/programmes', programme)

/** Dry-run a version over every member: answers the run (`run_id`) to follow with `getRun`. */
export const previewProgramme = (version) => api.post('/tiers/preview', { version })

/** Make a draft current and re-judge members: answers the run. */
export const applyProgramme = (version) => api.post(`/tiers/programmes/${encodeURIComponent(version)}/apply`)

/** A preview's or application's report: status, progress, tallies (`up`, `down`, `unchanged`). */
export const getRun = (runId) => api.get(`/tiers/runs/${encodeURIComponent(runId)}`)
