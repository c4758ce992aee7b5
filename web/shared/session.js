/**
 * A caller's session against the public /v1 API: the bearer token, its refresh before expiry, log-out, and
 * problem+json errors as `ApiError`. Both front ends use it; neither has any other way in.
 */

export class ApiError extends Error {
  /** @param {number} status @param {Record<string, any>} problem @param {number|null} retryAfter seconds */
  constructor(status, problem, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`)
    this.status = status
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
  /** @param {string} storageKey where the tokens are kept (localStorage) @param {string} base the API root */
  constructor(storageKey, base = '/v1') {
    this.storageKey = storageKey
    this.base = base
    this.listeners = new Set()
    this.timer = null
    this.tokens = JSON.parse(localStorage.getItem(storageKey) || 'null')
    this.schedule()
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

  keep(tokens) {
    this.tokens = tokens ? { ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 } : null
    if (this.tokens) localStorage.setItem(this.storageKey, JSON.stringify(this.tokens))
    else localStorage.removeItem(this.storageKey)
    this.schedule()
    this.listeners.forEach((listener) => listener(this.tokens))
  }

  schedule() {
    clearTimeout(this.timer)
    if (!this.tokens) return
    const wait = Math.max(0, this.tokens.expires_at - Date.now() - REFRESH_AHEAD_SECONDS * 1000)
    this.timer = setTimeout(() => this.refresh().catch(() => this.keep(null)), wait)
  }

  /** Exchange the refresh token for new tokens (each refresh token is valid once). */
  async refresh() {
    if (!this.refreshing) {
      const refreshToken = this.tokens?.refresh_token
      this.refreshing = this.raw('POST', '/auth/refresh', { body: { refresh_token: refreshToken } })
        .then((tokens) => this.keep(tokens))
        .finally(() => (this.refreshing = null))
    }
    return this.refreshing
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
    if (body !== undefined) {
      init.headers['Content-Type'] = init.headers['Content-Type'] || 'application/json'
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
    }
    const response = await fetch(this.base + path + query(params), init)
    const type = response.headers.get('Content-Type') || ''
    const payload = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text()
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('Retry-After')) || null
      throw new ApiError(response.status, typeof payload === 'object' && payload ? payload : { detail: payload }, retryAfter)
    }
    return full ? { body: payload, etag: response.headers.get('ETag'), status: response.status } : payload
  }

  /** A call with the bearer token: refreshed first when close to expiry, retried once after a 401. */
  async call(method, path, options = {}) {
    if (this.tokens && this.tokens.expires_at - Date.now() < 5000) await this.refresh().catch(() => this.keep(null))
    try {
      return await this.raw(method, path, { ...options, token: this.tokens?.access_token })
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !this.tokens) throw error
      await this.refresh().catch(() => this.keep(null))
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
