/** The member's session: tokens from POST /v1/auth/member-token (SMS code or password). */
import { Session } from '@shared/session'

export const api = new Session('loyalty.m.session')
