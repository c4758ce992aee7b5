/** Staff accounts (员工) and the roles matrix. */
import { api } from '../session'

/** A page of staff accounts: `{items, next_cursor}` (`staff:admin`). */
export const listStaff = (params) => api.get('/staff', params)

/** One account and its ETag: `{body, etag}`. */
export const getStaff = (staffId) => api.getVersioned(`/staff/${encodeURIComponent(staffId)}`)

/** Create an account with roles, stores (empty: every store) and a first password. */
export const createStaff = (account) => api.post('/staff', account)

/** Re-role, re-scope, rename, disable or enable (merge patch, `If-Match`). */
export const editStaff = (staffId, changes, etag) =>
  api.patch(`/staff/${encodeURIComponent(staffId)}`, changes, { 'If-Match': etag })

/** Set a new password (unlocks the account and ends its sessions). */
export const resetPassword = (staffId, password) => api.put(`/staff/${encodeURIComponent(staffId)}/password`, { password })

/** The permission matrix: `{roles: [{role, label, permissions}], permissions: [{permission, label}]}`. */
export const listRoles = () => api.get('/roles')
