/** The reports (经营报表): members, sales, points by period, and the liability. */
import { api } from '../session'

export const report = (name, params) => api.get(`/reports/${name}`, params)
export const liability = (asOf) => api.get('/reports/liability', { as_of: asOf })
/** A report written as a CSV file on the server: answers its name, rows and a download link that expires. */
export const exportReport = (body) => api.post('/reports/exports', body)
