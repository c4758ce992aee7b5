/** Jobs (任务): the platform's scheduled work, run by hand for a day, and their reports. */
import { api } from '../session'

const at = (job) => `/jobs/${encodeURIComponent(job)}`

/** `{items}`: every job with its schedule (null: on request), watermark and three newest runs (`jobs:run`). */
export const listJobs = () => api.get('/jobs')

/** A job's newest runs: `{items}`. */
export const listRuns = (job, limit = 20) => api.get(`${at(job)}/runs`, { limit })

/** Run a scheduled job for everything due through `asOf` (YYYY-MM-DD, never after today; omitted: as scheduled). */
export const runJob = (job, asOf) => api.post(`${at(job)}/runs`, asOf ? { as_of: asOf } : {})

/** What a run for `asOf` (YYYY-MM-DD, the future included) would do, writing nothing: `{tallies, findings, items, truncated}`. */
export const previewJob = (job, asOf) => api.get(`${at(job)}/preview`, { as_of: asOf })

/** One run's report. */
export const getJobRun = (job, runId) => api.get(`${at(job)}/runs/${encodeURIComponent(runId)}`)
