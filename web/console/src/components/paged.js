/** A cursor-paged list: `load()` starts over, `more()` appends the next page while `nextCursor` is set. */
import { ref } from 'vue'

export function usePaged(fetchPage) {
  const items = ref([])
  const nextCursor = ref(null)
  const loading = ref(false)
  const error = ref(null)

  async function fetchInto(cursor, reset) {
    loading.value = true
    error.value = null
    try {
      const page = await fetchPage(cursor)
      items.value = reset ? page.items : [...items.value, ...page.items]
      nextCursor.value = page.next_cursor
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }

  return {
    items,
    nextCursor,
    loading,
    error,
    load: () => fetchInto(undefined, true),
    more: () => nextCursor.value && fetchInto(nextCursor.value, false),
  }
}
