/** Stores (门店). */
import { api } from '../session'

/** A page of stores: `{items, next_cursor}` (`stores:read`). */
export const listStores = (params) => api.get('/stores', params)

/** Every store the caller sees (all pages), for choosers. */
export async function allStores() {
  const stores = []
  let cursor
  do {
    const page = await api.get('/stores', { limit: 200, cursor })
    stores.push(...page.items)
    cursor = page.next_cursor
  } while (cursor)
  return stores
}

/** One store and its ETag, for an edit: `{body, etag}`. */
export const getStore = (storeId) => api.getVersioned(`/stores/${encodeURIComponent(storeId)}`)

/** Create a store (`stores:write`), once per `key` (an Idempotency-Key kept across retries). */
export const createStore = (store, key) => api.post('/stores', store, { 'Idempotency-Key': key })

/** Edit a store with a merge patch of the changed fields, `If-Match` its ETag (412 when stale). */
export const editStore = (storeId, changes, etag) =>
  api.patch(`/stores/${encodeURIComponent(storeId)}`, changes, { 'If-Match': etag })
