/** The chain's stores as members read them: names, not codes. */
import { ref } from 'vue'
import { api } from '../session'

let directory = null

/** `GET /v1/me/stores`: every open store, `[{store_id, name, city, address, phone}]` by city; read once per visit. */
export function openStores() {
  directory = directory || api.get('/me/stores').then((answer) => answer.items).catch((e) => {
    directory = null
    throw e
  })
  return directory
}

/** A store's name by its code, once the directory is read; `coded(id)` says a code it lacks (a closed store). */
export function useStoreNames(coded) {
  const names = ref({})
  openStores().then((stores) => (names.value = Object.fromEntries(stores.map((s) => [s.store_id, s.name])))).catch(() => {})
  return (storeId) => names.value[storeId] || coded(storeId)
}

/** A store as the directory has it (its address and phone, to find and call it), once read; null for one it lacks. */
export function useStoreDetails() {
  const known = ref({})
  openStores().then((stores) => (known.value = Object.fromEntries(stores.map((s) => [s.store_id, s])))).catch(() => {})
  return (storeId) => known.value[storeId] || null
}
