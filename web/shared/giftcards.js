/** Gift card numbers as the platform checks them. */

/** Whether a 16-digit number's last digit is the Luhn check digit of the others: a digit mistyped, or two swapped, is
 * said before any read (and costs a member no try). */
export function checkDigitOk(number) {
  if (!/^\d{16}$/.test(number)) return false
  let total = 0
  for (let i = 0; i < 15; i += 1) {
    let value = Number(number[14 - i]) * (i % 2 === 0 ? 2 : 1)
    if (value > 9) value -= 9
    total += value
  }
  return (10 - (total % 10)) % 10 === Number(number[15])
}
