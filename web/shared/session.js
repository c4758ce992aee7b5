/**
 * A caller's session against the public /v1 API: the bearer token, its refresh before expiry, log-out, and
 * problem+json errors as `ApiError`. Both front ends use it; neither has any other way in.
 */

export class ApiError extends Error {
  /** @param {number} status @param {Record<string, any>} problem @param {number|null} retryAfter seconds */
  constructor(status, problem, retryAfter = null, challenge = '') {
    super(problem.detail || problem.title || `HTTP ${status}`)
    this.status = status
    /** a 401 refusing the access token itself (RFC 6750 `error="invalid_token"`): refresh and retry; any other 401
     * answers what the request said (a wrong current password) and must not be sent again */
    this.tokenRejected = status === 401 && /error="invalid_token"/.test(challenge)
    /** seconds to wait before trying again (a 429's or 503's Retry-After), or null */
    this.retryAfter = retryAfter
    this.type = problem.type || 'about:blank'
    this.title = problem.title || ''
    this.problem = problem
    /** field errors of a 422: [{field, in, message}] */
    this.fields = problem.errors || []
  }

  /** the short problem type, e.g. `insufficient-points` from `https://.../problems/insufficient-points` */
  get kind() {
    return this.type.split('/').pop()
  }
}

const REFRESH_AHEAD_SECONDS = 60
const RETRY_SECONDS = 30

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, value]) => value !== undefined && value !== null && value !== '')
  return pairs.length ? '?' + new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString() : ''
}

/** A new Idempotency-Key for one intended write (kept by the caller across its retries). */
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`
}

/** The claims of a JWT (not verified here: the API verifies every call). */
export function claimsOf(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
  const json = decodeURIComponent(
    Array.from(atob(part), (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''),
  )
  return JSON.parse(json)
}

export class Session {
  /**
   * Tokens are kept in localStorage, so every tab of the app shares one session: a tab adopts what another
   * tab stored (a refresh, a log-in, a log-out), and refreshes are serialised across tabs, since each refresh
   * token is valid once. Only a refused refresh ends the session; a network failure is tried again.
   * @param {string} storageKey where the tokens are kept @param {string} base the API root
   */
  constructor(storageKey, base = '/v1') {
    this.storageKey = storageKey
    this.base = base
    this.listeners = new Set()
    this.timer = null
    this.tokens = this.stored()
    this.schedule()
    window.addEventListener('storage', (event) => {
      if (event.key === storageKey) this.adopt(this.stored())
    })
  }

  get loggedIn() {
    return Boolean(this.tokens)
  }

  get claims() {
    return this.tokens ? claimsOf(this.tokens.access_token) : null
  }

  onChange(listener) {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  stored() {
    return JSON.parse(localStorage.getItem(this.storageKey) || 'null')
  }

  /** Take tokens as this tab's own (from storage: another tab's refresh, log-in or log-out). */
  adopt(tokens) {
    this.tokens = tokens
    this.schedule()
    this.listeners.forEach((listener) => listener(this.tokens))
  }

  /** Keep new tokens (or none: logged out) for every tab. */
  keep(tokens) {
    const kept = tokens ? { ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 } : null
    if (kept) localStorage.setItem(this.storageKey, JSON.stringify(kept))
    else localStorage.removeItem(this.storageKey)
    this.adopt(kept)
  }

  schedule() {
    clearTimeout(this.timer)
    if (!this.tokens) return
    const wait = Math.max(0, this.tokens.expires_at - Date.now() - REFRESH_AHEAD_SECONDS * 1000)
    this.timer = setTimeout(() => this.refresh().catch(() => {}), wait)
  }

  /** Exchange the refresh token for new tokens, once across tabs: a tab finding that another already did adopts
   * its tokens. A refused refresh token ends the session; a network failure keeps it and tries again later. */
  async refresh() {
    if (!this.refreshing) {
      const exchange = () => this.exchange(this.tokens?.refresh_token)
      const serialised = navigator.locks ? navigator.locks.request(this.storageKey, exchange) : exchange()
      this.refreshing = serialised.finally(() => (this.refreshing = null))
    }
    return this.refreshing
  }

  async exchange(refreshToken) {
    const stored = this.stored()
    if (!stored || stored.refresh_token !== refreshToken) return this.adopt(stored) // another tab moved on
    try {
      this.keep(await this.raw('POST', '/auth/refresh', { body: { refresh_token: refreshToken } }))
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) {
        if (this.stored()?.refresh_token === refreshToken) this.keep(null)
        else this.adopt(this.stored())
      } else {
        clearTimeout(this.timer)
        this.timer = setTimeout(() => this.refresh().catch(() => {}), RETRY_SECONDS * 1000)
      }
      throw error
    }
  }

  async logOut() {
    const refreshToken = this.tokens?.refresh_token
    this.keep(null)
    if (refreshToken) await this.raw('POST', '/auth/logout', { body: { refresh_token: refreshToken } }).catch(() => {})
  }

  /** One call without the session's token handling. Answers the parsed body (or the text for non-JSON); with
   * `full`, `{body, etag, status}`. */
  async raw(method, path, { body, params, headers = {}, token, full = false } = {}) {
    const init = { method, headers: { Accept: 'application/json, application/problem+json, */*', ...headers } }
    if (token) init.headers.Authorization = `Bearer ${token}`
    const language = typeof document === 'undefined' ? '' : document.documentElement.lang
    if (language && !init.headers['Accept-Language']) init.headers['Accept-Language'] = language // words the API writes
    if (body !== undefined) {
      init.headers['Content-Type'] = init.headers['Content-Type'] || 'application/json'
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
    }
    const response = await fetch(this.base + path + query(params), init)
    const type = response.headers.get('Content-Type') || ''
    const payload = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text()
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('Retry-After')) || null
      const problem = typeof payload === 'object' && payload ? payload : { detail: payload }
      throw new ApiError(response.status, problem, retryAfter, response.headers.get('WWW-Authenticate') || '')
    }
    return full ? { body: payload, etag: response.headers.get('ETag'), status: response.status } : payload
  }

  /** A call with the bearer token: refreshed first when close to expiry, retried once after a 401 that refused the
   * token (never after one that refused what was sent, such as a wrong current password: that would count twice). */
  async call(method, path, options = {}) {
    if (this.tokens && this.tokens.expires_at - Date.now() < 5000) await this.refresh().catch(() => {})
    try {
      return await this.raw(method, path, { ...options, token: this.tokens?.access_token })
    } catch (error) {
      if (!(error instanceof ApiError) || !error.tokenRejected || !this.tokens) throw error
      await this.refresh().catch(() => {})
      if (!this.tokens) throw error
      return this.raw(method, path, { ...options, token: this.tokens.access_token })
    }
  }

  get(path, params) {
    return this.call('GET', path, { params })
  }

  /** A read that keeps the resource's ETag, for an edit with If-Match. */
  getVersioned(path) {
    return this.call('GET', path, { full: true })
  }

  post(path, body, headers) {
    return this.call('POST', path, { body, headers })
  }

  patch(path, body, headers) {
    return this.call('PATCH', path, { body, headers: { 'Content-Type': 'application/merge-patch+json', ...headers } })
  }

  put(path, body, headers) {
    return this.call('PUT', path, { body, headers })
  }

  delete(path, headers) {
    return this.call('DELETE', path, { headers })
  }
}

/** Money in fen (分) as yuan for display: 12345 → "123.45". */
export function yuan(fen) {
  return (Number(fen || 0) / 100).toFixed(2)
}
