/** The membership agreement (会员协议) and privacy policy (隐私政策) members accept, and their acceptances. */
import { api } from '../session'

/** `{items}`: the newest version of each published document, with its text (public). */
export const currentAgreements = () => api.get('/agreements')

/** `{items}`: every version of `kind` (`terms` or `privacy`), newest first, without text (public). */
export const agreementVersions = (kind) => api.get(`/agreements/${encodeURIComponent(kind)}/versions`)

/** Publish the next version of a document (`agreements:publish`): `{kind, title, paragraphs, requires_acceptance}`. */
export const publishAgreement = (document) => api.post('/agreements', document)

/** `{due, accepted}`: a member's acceptances, the proof of their consent (`members:read`). */
export const memberAgreements = (memberId) => api.get(`/members/${encodeURIComponent(memberId)}/agreements`)
