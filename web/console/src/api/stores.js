/** Stores (门店): pickers, and the stores screen (list, create, edit). */
import { api } from '../session'

/** Every store the caller sees (all pages), for pickers. */
export async function allStores() {
  const stores = []
  let cursor
  do {
    const page = await api.get('/stores', { cursor, limit: 200 })
    stores.push(...page.items)
    cursor = page.next_cursor
  } while (cursor)
  return stores
}

/** A page of stores: `{items, next_cursor}` (`stores:read`). */
export const listStores = (params) => api.get('/stores', params)

/** One store and its ETag, for an edit: `{body, etag}`. */
export const getStore = (storeId) => api.getVersioned(`/stores/${encodeURIComponent(storeId)}`)

/** Create a store (`stores:write`), once per `key` (an Idempotency-Key kept across retries). */
export const createStore = (store, key) => api.post('/stores', store, { 'Idempotency-Key': key })

/** Edit a store with a merge patch of the changed fields, `If-Match` its ETag (412 when stale). */
export const editStore = (storeId, changes, etag) =>
  api.patch(`/stores/${encodeURIComponent(storeId)}`, changes, { 'If-Match': etag })
