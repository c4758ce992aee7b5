/** The audit log (审计日志). */
import { api } from '../session'

/** A page of entries between two business days, newest first, optionally of one `actor` (`audit:read`). */
export const listAudit = (params) => api.get('/audit', params)
