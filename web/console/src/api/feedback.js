/** Members' feedback (意见反馈), read and answered by the service desk. */
import { api } from '../session'

/** A page of messages of a `status` (`open` or `closed`), newest first: `{items, next_cursor}` (`feedback:read`). */
export const listFeedback = (params) => api.get('/feedback', params)

/** Close an open message, with a reply the member reads (optional), `If-Match` its listed version (`feedback:reply`). */
export const closeFeedback = (feedbackId, reply, version) =>
  api.patch(`/feedback/${encodeURIComponent(feedbackId)}`, reply ? { status: 'closed', reply } : { status: 'closed' },
    { 'If-Match': `"${version}"` })
