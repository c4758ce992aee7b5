/** Top-up plans (充值方案) of the stored-value wallet. */
import { api } from '../session'

/** `{items}`: every plan, with whether it is on sale today (`stores:read`). */
export const listPlans = () => api.get('/wallet/plans')

/** Create a plan (`wallet:plans`): pay `pay_fen`, get `bonus_fen` and `gift_points`. */
export const createPlan = (plan) => api.post('/wallet/plans', plan)

/** Take a plan off sale after `lastDay` (YYYY-MM-DD, never before today; omitted: today) (`wallet:plans`). */
export const endPlan = (planId, lastDay) => api.post(`/wallet/plans/${encodeURIComponent(planId)}/end`, lastDay ? { last_day: lastDay } : {})
