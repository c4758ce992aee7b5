/**
 * A report's rows as a CSV file Excel opens in Chinese: UTF-8 with a byte-order mark, CRLF lines, quoted cells, and
 * text a spreadsheet would take for a formula (=, +, -, @ first; a plan or member named =HYPERLINK(…)) behind an
 * apostrophe, as the server's exports write it; numbers (−12.50) stay numbers.
 */
export function csvOf(columns, rows) {
  const cell = (value) => {
    let text = value === null || value === undefined ? '' : String(value)
    if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d[\d,]*(\.\d+)?$/.test(text)) text = `'${text}`
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
