/** The member's session: tokens from POST /v1/auth/member-token (SMS code or password), in the app's language. */
import { Session } from '@shared/session'
import { i18n } from './i18n'

export const api = new Session('loyalty.m.session')
api.language = () => i18n.global.locale.value
