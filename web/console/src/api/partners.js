/** Partner systems (合作方: POS, e-shop, mini-program backends) and their signing secrets. */
import { api } from '../session'

const at = (partnerId) => `/partners/${encodeURIComponent(partnerId)}`

/** A page of partners: `{items, next_cursor}`; secrets by id and dates only (`partners:admin`). */
export const listPartners = (params) => api.get('/partners', params)

/** One partner and its ETag: `{body, etag}`. */
export const getPartner = (partnerId) => api.getVersioned(at(partnerId))

/** Register a partner: the answer holds its first `secret`, shown only this once. */
export const createPartner = (partner) => api.post('/partners', partner)

/** Rename, re-scope, disable or enable (merge patch, `If-Match`). */
export const editPartner = (partnerId, changes, etag) => api.patch(at(partnerId), changes, { 'If-Match': etag })

/** Issue a second secret to rotate to: the answer holds it, shown only this once (409 with two active). */
export const addSecret = (partnerId) => api.post(`${at(partnerId)}/secrets`)

/** Revoke a secret: its signatures stop working within 30 seconds. */
export const revokeSecret = (partnerId, secretId) => api.delete(`${at(partnerId)}/secrets/${encodeURIComponent(secretId)}`)
