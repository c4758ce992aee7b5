/**
 * Who did something, in words: a colleague by name (`staff:sf_…`, the names read in batches of up to 100, once per
 * id per session, through `POST /v1/staff/names`), the member, a partner, the platform's jobs or an operator's CLI.
 * A name not read yet (or not readable) shows the account id, and the screen re-renders when it arrives.
 */
import { reactive } from 'vue'
import { api } from '../session'
import { i18n } from '../i18n'

const names = reactive({}) // id → display name; '' while asked or when no account has it
const waiting = new Set()
const BATCH = 100

function want(id) {
  if (id in names) return
  names[id] = ''
  waiting.add(id)
  if (waiting.size === 1) queueMicrotask(ask) // every id a render wants, in one request
}

async function ask() {
  const ids = [...waiting]
  waiting.clear()
  for (let start = 0; start < ids.length; start += BATCH) {
    const answer = await api.post('/staff/names', { ids: ids.slice(start, start + BATCH) }).catch(() => ({ names: {} }))
    Object.assign(names, answer.names)
  }
}

/** `staff:sf_1` → 员工 王丽; `member:mb_1` → 会员本人; `partner:pt_1` → 合作方 pt_1; `system` → 系统; `cli` → 命令行. */
export function actorText(actor) {
  if (!actor) return '—'
  const t = (key, values) => i18n.global.t(key, values)
  const at = actor.indexOf(':')
  const [who, id] = at < 0 ? [actor, ''] : [actor.slice(0, at), actor.slice(at + 1)]
  if (who === 'staff' && id) {
    want(id)
    return names[id] ? t('actors.staff', { name: names[id] }) : t('actors.staff', { name: id })
  }
  if (who === 'partner') return t('actors.partner', { id })
  if (['member', 'system', 'cli'].includes(who)) return t(`actors.${who}`)
  return actor
}
