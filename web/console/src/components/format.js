/** Display helpers for the screens: instants in the browser's zone, money in yuan (one implementation each). */
export { yuan } from '@shared/session'
export { businessToday, money, signedMoney, when } from './forms'
