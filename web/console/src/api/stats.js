/** The figures the platform keeps from its events: per day (and store), and standing totals. */
import { api } from '../session'

export const dailyStats = (params) => api.get('/stats/daily', params)
export const statsSummary = (storeId) => api.get('/stats/summary', { store_id: storeId })
