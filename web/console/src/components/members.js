/**
 * A member said as the counter says them: name and masked phone (`张三 · 139****1234`), read once per member per
 * session through the counter view (a serve read: any member of the chain, never a full phone, nothing audited).
 * Until it arrives, or where it cannot be read, the member id; the screen re-renders when it does.
 */
import { reactive } from 'vue'
import { counterView } from '../api/members'

const labels = reactive({}) // member id → label; '' while asked or when unreadable

export function memberLabel(memberId) {
  if (!memberId) return ''
  if (!(memberId in labels)) {
    labels[memberId] = ''
    counterView(memberId)
      .then((view) => (labels[memberId] = [view.name, view.phone_masked].filter(Boolean).join(' · ')))
      .catch(() => {})
  }
  return labels[memberId] || memberId
}
