/**
 * The staff member's session: tokens from POST /v1/auth/token, who they are (GET /v1/staff/me: name, roles,
 * stores, permissions), and `may(permission)`, which every menu entry and button follows.
 */
import { reactive } from 'vue'
import { Session } from '@shared/session'

export const api = new Session('loyalty.console.session')
export const staff = reactive({ me: null })

export async function logIn(username, password) {
  api.keep(await api.raw('POST', '/auth/token', { body: { username, password } }))
  await loadMe()
}

export async function loadMe() {
  staff.me = api.loggedIn ? await api.get('/staff/me') : null
  return staff.me
}

export async function logOut() {
  staff.me = null
  await api.logOut()
}

api.onChange((tokens) => {
  if (!tokens) staff.me = null
})

/** Whether the staff member holds every permission named (a string or a list). */
export function may(permissions) {
  const held = staff.me?.permissions || []
  return [].concat(permissions || []).every((permission) => held.includes(permission))
}

/** Whether the staff member acts for the whole chain (no store scope): what acts on the whole chain (its
 * configuration, chain-wide figures, messages to any member, jobs, the audit log) is theirs alone. */
export function wholeChain() {
  return (staff.me?.stores || []).length === 0
}

/** Whether the staff member may open a screen: its `meta.permission`, and the whole chain for a `meta.chain` one. */
export function mayOpen(meta) {
  return may(meta?.permission || []) && (!meta?.chain || wholeChain())
}

/** Whether a store is in the staff member's scope (an empty scope is every store). */
export function covers(storeId) {
  const stores = staff.me?.stores || []
  return stores.length === 0 || stores.includes(storeId)
}
