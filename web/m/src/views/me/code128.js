/**
 * Code 128 for the member code's barcode (most counter scanners read it as well as a QR): digits in pairs with
 * code set C (odd length: the last digit in set B), anything else in set B. Answers the modules as '1' (bar)
 * and '0' (space), with the start, check and stop symbols, and without quiet zones.
 */

// Bar and space widths of the symbols 0–106 (106 is the stop, 13 modules with its final bar).
const WIDTHS = (
  '212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231 ' +
  '113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 ' +
  '212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131 ' +
  '113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 ' +
  '314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 ' +
  '241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 ' +
  '214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214 ' +
  '211232 2331112'
).split(' ')
const START_B = 104
const START_C = 105
const CODE_B = 100
const STOP = 106

/** The symbol values of `text`: start, data, checksum, stop. */
export function symbols(text) {
  const values = []
  if (/^\d+$/.test(text) && text.length >= 2) {
    values.push(START_C)
    const even = text.length - (text.length % 2)
    for (let i = 0; i < even; i += 2) values.push(Number(text.slice(i, i + 2)))
    if (even < text.length) values.push(CODE_B, text.charCodeAt(even) - 32)
  } else {
    values.push(START_B)
    for (const char of text) {
      const code = char.charCodeAt(0)
      if (code < 32 || code > 126) throw new Error('Code 128 B takes printable ASCII only')
      values.push(code - 32)
    }
  }
  const check = values.reduce((sum, value, i) => sum + value * Math.max(i, 1), 0) % 103
  return [...values, check, STOP]
}

/** The modules of `text` as a string of '1' (bar) and '0' (space). */
export function modules(text) {
  return symbols(text)
    .map((value) => [...WIDTHS[value]].map((width, i) => (i % 2 ? '0' : '1').repeat(Number(width))).join(''))
    .join('')
}

/** The bars as runs: [{x, width}] in modules, for an SVG of `modules(text).length` wide. */
export function bars(text) {
  const runs = []
  const line = modules(text)
  for (let x = 0; x < line.length; x++) {
    if (line[x] !== '1') continue
    const start = x
    while (line[x + 1] === '1') x++
    runs.push({ x: start, width: x - start + 1 })
  }
  return runs
}
