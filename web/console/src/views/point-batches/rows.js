/** A bulk adjustment's file, read in the browser: its rows checked as the API checks them, so what cannot be
 * applied is said at once, and the same row twice (which the API refuses) is found across the whole file. */
import Papa from 'papaparse'
import { csvOf } from '../reports/csv'

export const PART = 200 // rows a request takes
const MAX_POINTS = 100_000_000
const MEMBER_COLUMNS = ['phone', 'member_no', 'member_id']

/** The file's text in ``encoding`` (UTF-8 with or without its byte order mark, or GBK from Excel). */
export async function readText(file, encoding) {
  const bytes = await file.arrayBuffer()
  return new TextDecoder(encoding === 'gbk' ? 'gbk' : 'utf-8').decode(bytes)
}

/**
 * Rows of the file: `{ line, values, body, problem }` with `body` the API's row when it can be sent, else
 * `problem` (a key of pointBatches.problems). Answers `{ rows }`, or `{ header: false }` when the first line lacks
 * the columns.
 */
export function parseRows(text, defaultReason, today = new Date().toISOString().slice(0, 10)) {
  const parsed = Papa.parse(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() })
  const columns = parsed.meta.fields || []
  if (!columns.includes('points') || !MEMBER_COLUMNS.some((c) => columns.includes(c))) return { header: false, rows: [] }
  const seen = new Set()
  const rows = parsed.data.map((values, index) => {
    // the header is line 1; a file of failed rows downloaded here says each row's line in the first file (its
    // `line` column), which the report keeps saying
    const line = /^\d+$/.test(String(values.line ?? '').trim()) ? Number(values.line) : index + 2
    const cell = (name) => String(values[name] ?? '').trim()
    const given = MEMBER_COLUMNS.filter((c) => cell(c))
    const row = { line, values }
    if (given.length !== 1) return { ...row, problem: 'member' }
    const text = cell('points')
    const points = Number(text)
    if (!/^-?\d+$/.test(text) || points === 0 || Math.abs(points) > MAX_POINTS) return { ...row, problem: 'points' }
    const expires = cell('expires_on')
    if (expires && (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || points < 0)) return { ...row, problem: 'expires_on' }
    if (expires && expires < today) return { ...row, problem: 'expiry-past' } // said now, not after sending
    const reason = cell('reason') || String(defaultReason || '').trim()
    if (!reason || reason.length > 200) return { ...row, problem: 'reason' }
    const body = { line, [given[0]]: cell(given[0]), points, ...(cell('reason') ? { reason: cell('reason') } : {}), ...(expires ? { expires_on: expires } : {}) }
    const same = `${given[0]}|${cell(given[0])}|${points}|${reason}|${expires}`
    if (seen.has(same)) return { ...row, problem: 'same-row' }
    seen.add(same)
    return { ...row, body }
  })
  return { header: true, rows }
}

/** The figures of the rows that can be sent: members named, points credited and debited. */
export function summary(rows) {
  const good = rows.filter((row) => row.body)
  const members = new Set(good.map((row) => MEMBER_COLUMNS.map((c) => row.body[c] || '').join('|')))
  return {
    rows: rows.length, members: members.size, bad: rows.length - good.length,
    credit: good.reduce((sum, row) => sum + Math.max(row.body.points, 0), 0),
    debit: good.reduce((sum, row) => sum - Math.min(row.body.points, 0), 0),
  }
}

/** The failed rows as CSV: the file's own columns and why (原因), to mend and upload again; a cell a spreadsheet
 * would run as a formula is written as text, as every CSV the console writes. */
export function failedCsv(failed, why) {
  const names = [...new Set(failed.flatMap((row) => Object.keys(row.values)))].filter((name) => name !== 'line' && name !== 'why')
  const columns = [{ title: 'line', value: (row) => row.line }, ...names.map((name) => ({ title: name, value: (row) => row.values[name] ?? '' })),
    { title: 'why', value: why }]
  return csvOf(columns, failed)
}
