/** Display helpers: instants in the browser's zone, money in yuan. */
export { yuan } from '@shared/session'

export function when(instant) {
  if (!instant) return ''
  const date = new Date(instant)
  return Number.isNaN(date.getTime()) ? instant : date.toLocaleString('zh-CN', { hour12: false })
}
