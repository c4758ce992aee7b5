/** Stores, as pickers need them. */
import { api } from '../session'

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
