/**
 * A cursor-paged list with "load more", for both front ends: `fetchPage(cursor)` answers `{items, next_cursor}`
 * (`cursor` is undefined for the first page). `load()` starts over, `more()` appends the next page while
 * `nextCursor` is set. Neither throws: the failure is kept in `error` (cleared by the next call) and answered
 * (null when the page came), for the screen to say it its own way.
 *
 * `loading` is true while any page is on its way, `loadingMore` while `more()`'s is; `loaded` once a first page
 * has come.
 */
import { ref } from 'vue'

export function usePaged(fetchPage) {
  const items = ref([])
  const nextCursor = ref(null)
  const loading = ref(false)
  const loadingMore = ref(false)
  const loaded = ref(false)
  const error = ref(null)

  async function fetchInto(cursor, reset) {
    loading.value = true
    loadingMore.value = !reset
    error.value = null
    try {
      const page = await fetchPage(cursor)
      items.value = reset ? page.items || [] : [...items.value, ...(page.items || [])]
      nextCursor.value = page.next_cursor || null
      if (reset) loaded.value = true
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
      loadingMore.value = false
    }
    return error.value
  }

  return {
    items,
    nextCursor,
    loading,
    loadingMore,
    loaded,
    error,
    load: () => fetchInto(undefined, true),
    more: async () => (nextCursor.value ? fetchInto(nextCursor.value, false) : null),
  }
}
