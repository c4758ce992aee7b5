/**
 * Motion for those who asked for less: a visitor whose system says "reduce motion" (prefers-reduced-motion) gets
 * charts drawn at once and transitions that end at once, in both front ends. Nothing else changes.
 */

const QUERY = '(prefers-reduced-motion: reduce)'

/** Whether the visitor asked for reduced motion, now. */
function reducedMotion() {
  return typeof window !== 'undefined' && Boolean(window.matchMedia?.(QUERY).matches)
}

/** An ECharts option drawn at once when the visitor asked for reduced motion, and as given otherwise. */
export function chartMotion(option) {
  return reducedMotion() ? { ...option, animation: false } : option
}
