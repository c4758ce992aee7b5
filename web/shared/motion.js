/**
 * Motion for those who asked for less: a visitor whose system says "reduce motion" (prefers-reduced-motion) gets
 * charts drawn at once and transitions that end at once, in both front ends. Nothing else changes.
 */

const QUERY = '(prefers-reduced-motion: reduce)'

/** Whether the visitor asked for reduced motion, now. */
function reducedMotion() {
  return typeof window !== 'undefined' && Boolean(window.matchMedia?.(QUERY).matches)
}

/** Set `option` on an ECharts `chart` (`replace`: not merged with the option before), drawn at once, without
 * animation, for a visitor who asked for reduced motion; answers whether the chart animates, as ECharts now holds it
 * (what a chart's `data-animated` shows). */
export function setChartOption(chart, option, replace = false) {
  chart.setOption(reducedMotion() ? { ...option, animation: false } : option, replace)
  return chart.getOption().animation !== false
}
