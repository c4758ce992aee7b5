/** A report's rows as a CSV file Excel opens in Chinese: UTF-8 with a byte-order mark, CRLF lines, quoted cells. */
export function csvOf(columns, rows) {
  const cell = (value) => {
    const text = value === null || value === undefined ? '' : String(value)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  const lines = [columns.map((c) => cell(c.title)), ...rows.map((row) => columns.map((c) => cell(c.value(row))))]
  return '\uFEFF' + lines.map((line) => line.join(',')).join('\r\n') + '\r\n'
}

/** Offer ``text`` as a download named ``name``. */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
