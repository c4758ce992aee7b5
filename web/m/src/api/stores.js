/** The chain's stores as members read them: names, not codes. */
import { ref } from 'vue'
import { api } from '../session'

let directory = null

/** `GET /v1/me/stores`: every open store, `[{store_id, name, city}]` by city; read once per visit. */
export function openStores() {
  directory = directory || api.get('/me/stores').then((answer) => answer.items).catch((e) => {
    directory = null
    throw e
  })
  return directory
}

/** A reactive map of store code to name, filled once the directory is read (a code it lacks shows as itself). */
export function useStoreNames() {
  const names = ref({})
  openStores().then((stores) => (names.value = Object.fromEntries(stores.map((s) => [s.store_id, s.name])))).catch(() => {})
  return (storeId) => names.value[storeId] || storeId
}
