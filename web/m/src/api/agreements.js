/** The membership agreement (会员协议) and privacy policy (隐私政策): their current text, and the member's
 * acceptances. */
import { api } from '../session'

/** `GET /v1/agreements` (public): `{items: [{kind, version, title, paragraphs, requires_acceptance, published_at}]}`,
 * the newest version of each published document, `terms` first; empty while none is published. */
export const currentAgreements = () => api.raw('GET', '/agreements')

/** The versions a log-in or an acceptance names: `[{kind, version}]`. */
export const versionsOf = (documents) => documents.map(({ kind, version }) => ({ kind, version }))

/** `GET /v1/me/agreements`: `{due: [document…], accepted: [{kind, version, accepted_at, via}]}`. */
export const myAgreements = () => api.get('/me/agreements')

/** `POST /v1/me/agreements` with the current versions; 422 `agreements-required` when one was published since. */
export const accept = (documents) => api.post('/me/agreements', { agreed: versionsOf(documents) })
