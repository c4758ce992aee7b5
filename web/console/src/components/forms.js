/**
 * What the configuration and system screens share: problems said kindly, 422 field errors put on their
 * fields, a screen's data read once or in cursor pages (previous / next), store pickers, dates and amounts.
 */
import { ElMessageBox } from 'element-plus'
import { computed, reactive, ref, shallowRef } from 'vue'
import { businessStamp } from '@shared/businessday'
import { ApiError, idempotencyKey, yuan } from '@shared/session'
import { allStores } from '../api/stores'
import { i18n } from '../i18n'

export { businessToday, daysAfter } from '@shared/businessday' // the platform's day (a test clock moves it)

const t = (key, values) => i18n.global.t(key, values)

/** A 422's field problem in the console's language: by its `code` (the API's stable validator type, with the
 * `limit` it names) when the console has words for it (found by a walkthrough: pydantic's English on the rules
 * editor), else the API's message. */
export function fieldMessage({ code, limit, message }) {
  return code && i18n.global.te(`config.codes.${code}`) ? t(`config.codes.${code}`, { limit }) : message
}

/** The field errors of a 422 as `{ name: 'message', 'items.0.amount_fen': '…', items: '…' }` ('' for the whole body). */
export function fieldErrors(error) {
  const found = {}
  const add = (field, message) => (found[field] = found[field] ? `${found[field]}; ${message}` : message)
  if (error instanceof ApiError && error.status === 422) {
    for (const problem of error.fields) {
      const field = problem.field || ''
      const message = fieldMessage(problem)
      add(field || '', message)
      const root = (field || '').split('.')[0]
      if (root !== field) add(root, message) // `stores.0` is shown on the stores field too
    }
  }
  return found
}

/**
 * A sentence for a failed call: `kinds` maps a problem type (e.g. `already-exists`) to an i18n key of the
 * screen; else the usual statuses have their own words; else the API's detail.
 */
export function explain(error, kinds = {}) {
  if (!(error instanceof ApiError)) return error?.message || String(error)
  if (kinds[error.kind]) return t(kinds[error.kind])
  const common = {
    403: 'config.problems.forbidden', 404: 'config.problems.notFound', 409: 'config.problems.conflict',
    412: 'common.conflict', 422: 'config.problems.invalid', 428: 'common.conflict', 429: 'config.problems.tooMany',
    503: 'config.problems.unavailable',
  }
  if (common[error.status]) return t(common[error.status]) + (error.status === 409 || error.status === 422 ? ` (${error.message})` : '')
  return error.message
}

/** A form's server errors: `errors[field]` for `el-form-item :error`, `take(error)` after a failed call. */
export function useServerErrors() {
  const errors = reactive({})
  return {
    errors,
    clear() {
      for (const key of Object.keys(errors)) delete errors[key]
    },
    /** Put a 422's field errors on the fields; answers whether there were any. */
    take(error) {
      for (const key of Object.keys(errors)) delete errors[key]
      Object.assign(errors, fieldErrors(error))
      return Object.keys(errors).length > 0
    },
  }
}

/**
 * A dialog's request made once per opening: `reset()` on opening takes a new idempotency id (`<prefix>-…`), kept
 * across retries of a request whose answer was lost and renewed after a refusal (nothing was done);
 * `submit(formRef, send)` validates the form, calls `send(id)` and answers its answer, or null with the refusal put
 * on its fields (`server.errors`) or said in `error`; `busy` meanwhile.
 */
export function useOnceSubmit(prefix) {
  const busy = ref(false)
  const error = ref('')
  const server = useServerErrors()
  let id = ''
  const renew = () => (id = `${prefix}-${idempotencyKey()}`)
  function reset() {
    error.value = ''
    server.clear()
    renew()
  }
  async function submit(formRef, send) {
    if (!(await formRef.value.validate().catch(() => false))) return null
    busy.value = true
    error.value = ''
    try {
      return await send(id)
    } catch (e) {
      if (e.status && e.status < 500) renew()
      if (!server.take(e)) error.value = explain(e)
      return null
    } finally {
      busy.value = false
    }
  }
  return { busy, error, server, reset, submit }
}

/**
 * What a screen reads in one call: `load()` (again) puts `read()`'s answer in `data` (`initial` until then),
 * `loading` meanwhile, and a failure said kindly in `error`.
 */
export function useLoad(read, initial = null) {
  const data = ref(initial)
  const loading = ref(false)
  const error = ref('')

  async function load() {
    loading.value = true
    error.value = ''
    try {
      data.value = await read()
    } catch (e) {
      error.value = explain(e)
    } finally {
      loading.value = false
    }
  }

  return { data, loading, error, load }
}

/** The stores a form's picker offers: `want()` reads them the first time (again while there are none). */
export function useStoreChoices() {
  const stores = ref([])
  return {
    stores,
    async want() {
      if (!stores.value.length) stores.value = await allStores().catch(() => [])
    },
  }
}

/** Stores said by name where a list holds codes: `named(ids)` joins their names once the stores are read (a code no
 * store of the caller's has stays a code). */
export function useStoreNames() {
  const names = ref({})
  let asked = false // read when a name is first wanted: a screen that names no store reads none
  return (ids) => {
    if (!asked) {
      asked = true
      allStores().then((stores) => (names.value = Object.fromEntries(stores.map((s) => [s.store_id, s.name])))).catch(() => {})
    }
    return ids.map((id) => names.value[id] || id).join('、')
  }
}

/**
 * Pages of a list the API pages with `limit` and `cursor`: `load(params)` answers `{items, next_cursor}`.
 * Keeps the cursors of the pages seen so that "previous" goes back without the API having to.
 */
export function useCursorPages(load, { limit = 20 } = {}) {
  const items = shallowRef([])
  const loading = ref(false)
  const error = ref('')
  const cursors = ref([null]) // cursors[i] opens page i
  const page = ref(0)
  const next = ref(null)

  let asked = 0 // the latest request: an earlier one's answer (a reload overtaken by a filter's change) is dropped
  async function open(index) {
    const mine = ++asked
    loading.value = true
    error.value = ''
    try {
      const answer = await load({ limit, cursor: cursors.value[index] || undefined })
      if (mine !== asked) return
      items.value = answer.items
      next.value = answer.next_cursor
      page.value = index
      cursors.value = cursors.value.slice(0, index + 1)
      if (answer.next_cursor) cursors.value.push(answer.next_cursor)
    } catch (e) {
      if (mine === asked) error.value = explain(e)
    } finally {
      if (mine === asked) loading.value = false
    }
  }

  return {
    items, loading, error, page,
    hasPrev: computed(() => page.value > 0),
    hasNext: computed(() => Boolean(next.value)),
    reload: () => open(page.value),
    first: () => {
      cursors.value = [null]
      return open(0)
    },
    forward: () => open(page.value + 1),
    back: () => open(page.value - 1),
  }
}

/** A till order number the console makes for a sale (``POS-20261203113859-UQKH``, the store's time): the coupons redeemed on it, the
 * wallet payment and the purchase recorded all name it. */
export function tillOrderNumber(now = new Date()) {
  return `POS-${businessStamp(now)}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`
}

/** An instant for reading: `2026-11-30 14:05` in the browser's zone. */
export function when(iso) {
  if (!iso) return '—'
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const pad = (n) => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`
}

/** A change of a balance in fen, signed: `+¥100.00`, `−¥1,665.83`. */
export function signedMoney(fen) {
  return `${fen < 0 ? '−' : '+'}${money(Math.abs(fen))}`
}

/** Fen as money reads on a screen, with thousands separated as the dashboard and the member pages write it:
 * `¥2,531.83` (`yuan` stays plain, for inputs and CSV files). */
export function money(fen) {
  return `¥${grouped(fen)}`
}

/** Yuan as said in a sentence after its own ¥: 3,600.00 (a walkthrough read ¥3600.00 at the till beside ¥5,000.00). */
export function grouped(fen) {
  return (Number(fen || 0) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

/** Yuan typed by a person (`123.45`) as whole fen, or NaN. */
export function fenOf(yuanText) {
  // thousands separated as amounts are written (1,000 or 1，000: a salon's walkthrough was refused), signs refused
  const text = String(yuanText ?? '').trim().replace(/(\d)[,，](?=\d{3}(\D|$))/g, '$1')
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return Number.NaN
  const [whole, part = ''] = text.split('.')
  return Number(whole) * 100 + Number(part.padEnd(2, '0'))
}

/** An el-form rule for an amount in yuan (at most two decimals), above zero unless `zero`. */
export function yuanRule({ zero = false, required = true } = {}) {
  return {
    trigger: 'blur',
    validator: (_rule, value, callback) => {
      if ((value === '' || value === null || value === undefined) && !required) return callback()
      const fen = fenOf(value)
      if (/^\s*-/.test(String(value))) return callback(new Error(t(zero ? 'config.rules.notNegative' : 'config.rules.positive'))) // -5: said as such
      if (Number.isNaN(fen)) return callback(new Error(t('config.rules.yuan')))
      if (!zero && fen <= 0) return callback(new Error(t('config.rules.positive')))
      callback()
    },
  }
}

/** An el-form rule: required. */
export function required() {
  return { required: true, trigger: 'blur', message: () => t('config.rules.required') }
}

/** An el-form rule: a pattern, with what it allows said. */
export function pattern(regexp, key) {
  return { pattern: regexp, trigger: 'blur', message: () => t(key) }
}

/**
 * Ask before a destructive or lasting action; answers whether it was confirmed. The buttons say what they do
 * (`confirm`, an i18n key) in the screen's language (a message box opened from code does not see the app's
 * Element Plus locale).
 */
export async function confirmAction(message, { confirm = 'common.confirm', type = 'warning' } = {}) {
  return ElMessageBox.confirm(message, t('config.areYouSure'), {
    type, confirmButtonText: t(confirm), cancelButtonText: t('common.cancel'), closeOnClickModal: false,
  }).then(() => true, () => false)
}
