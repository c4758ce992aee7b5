/** The names of the tills' category and brand codes (品类与品牌名称). */
import { api } from '../session'

/** `{categories, brands, version}`: each code with `{zh, en}`. */
export const catalogNames = () => api.get('/catalog/names')

/** Replace the names saved (`rules:write`), on the `version` read (409 when another save came since). */
export const saveCatalogNames = (body) => api.put('/catalog/names', body)
