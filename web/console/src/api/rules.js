/** Earn rules (积分规则): versions, publishing, and scoring a sample order. */
import { api } from '../session'

/** `{current, versions}`: every version newest first, and the one in force (null: 1 point per CNY). */
export const listRules = () => api.get('/points/rules')

/** Publish a version (`rules:write`); answers it. */
export const publishRules = (rules) => api.post('/points/rules', rules)

/** Score a sample order line by line (`rules:write`): with the rules in force, or a draft `rules`. */
export const previewOrder = (order) => api.post('/points/rules/preview', order)
