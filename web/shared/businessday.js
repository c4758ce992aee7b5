/**
 * The business's "today": the day the platform says it is (`GET /v1/health`: `today`, `time_zone`), so a test clock
 * moved for a rehearsal moves the screens' default days and date limits too, and a platform in another time zone is
 * followed. Until the platform has answered (or if it cannot), the business time zone's day on this device's clock.
 */

const DAY_MS = 86_400_000
let zone = 'Asia/Shanghai'
let offsetDays = 0 // the platform's day less this device's, in the business zone (a test clock moves whole days)

function deviceDay() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date())
}

/** Follow the platform's day: `health` is `GET /v1/health`'s answer. */
export function followPlatformDay(health) {
  if (!health?.today) return
  zone = health.time_zone || zone
  offsetDays = Math.round((Date.parse(health.today) - Date.parse(deviceDay())) / DAY_MS)
}

/** A time of day in UTC (a schedule's) on the business zone's clock, HH:MM. */
export function businessTimeOf(hour, minute) {
  const at = new Date(Date.UTC(2026, 0, 15, hour, minute))
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at)
}

/** Today as the business sees it, YYYY-MM-DD. */
export function businessToday() {
  return new Date(Date.parse(deviceDay()) + offsetDays * DAY_MS).toISOString().slice(0, 10)
}

/** The business zone's wall clock as `YYYYMMDDHHmmss` (a till's order numbers read as the store's time, whatever
 * zone the workstation is set to). */
export function businessStamp(now = new Date()) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(now).map((part) => [part.type, part.value]))
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`
}

/** Ask the platform its day before the app mounts (a screen reads "today" as it opens); never keeps the app from
 * starting: without an answer in two seconds, or an answer at all, the device's day is used. */
export async function askPlatformDay(base = '/v1') {
  try {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), 2000)
    const answer = await fetch(`${base}/health`, { signal: controller.signal })
    clearTimeout(timer)
    if (answer.ok) followPlatformDay(await answer.json())
  } catch {
    // the device's day serves
  }
}

/** The day `n` days after `day` (YYYY-MM-DD; before it when `n` is negative), as the platform counts days. */
export function daysAfter(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}
