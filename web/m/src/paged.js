/**
 * The member pages' "load more" lists: the shared `usePaged`, with a failure said the member pages' way. The
 * first page's is kept in `failed` (shown with a retry), a later page's is a toast.
 */
import { showToast } from 'vant'
import { ref } from 'vue'
import { usePaged } from '@shared/paged'
import { problemText } from './problems'

export function useMoreList(fetchPage) {
  const list = usePaged(fetchPage)
  const failed = ref('')

  async function reload() {
    failed.value = ''
    const error = await list.load()
    if (error) failed.value = problemText(error)
  }

  async function more() {
    const error = await list.more()
    if (error) showToast(problemText(error))
  }

  return { items: list.items, cursor: list.nextCursor, loading: list.loadingMore, loaded: list.loaded, failed, reload, more }
}
