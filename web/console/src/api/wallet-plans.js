/** Top-up plans (充值方案) of the stored-value wallet. */
import { api } from '../session'

/** `{items}`: every plan, with whether it is on sale today (`stores:read`). */
export const listPlans = () => api.get('/wallet/plans')

/** Create a plan (`wallet:plans`): pay `pay_fen`, get `bonus_fen` and `gift_points`. */
export const createPlan = (plan) => api.post('/wallet/plans', plan)
