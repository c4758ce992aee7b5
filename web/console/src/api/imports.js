/** Member imports (会员导入): the file goes straight to storage through a presigned URL. */
import { api } from '../session'

const at = (importId) => `/members/imports/${encodeURIComponent(importId)}`

/** Create an import: answers it with `upload` ({url, method, headers, expires_at}) (`members:import`). */
export const createImport = (encoding) => api.post('/members/imports', { encoding })

/** PUT the file to the presigned URL, with exactly the headers the API named. Not an API call: no token. */
export async function uploadFile(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open(upload.method || 'PUT', upload.url)
    for (const [name, value] of Object.entries(upload.headers || {})) request.setRequestHeader(name, value)
    request.upload.onprogress = (event) => event.lengthComputable && onProgress?.(event.loaded / event.total)
    request.onload = () => (request.status < 300 ? resolve() : reject(new UploadError(request.status, request.responseText)))
    request.onerror = () => reject(new UploadError(0, ''))
    request.send(file)
  })
}

/** A failed upload: `status` 0 when the browser refused it (CORS, network). */
export class UploadError extends Error {
  constructor(status, text) {
    super(status ? `upload failed: HTTP ${status}` : 'upload failed: the storage could not be reached')
    this.status = status
    this.text = text
  }
}

/** Start the import once its file is up (409 `import-file-missing` before). */
export const startImport = (importId) => api.post(`${at(importId)}/start`)

/** Its progress: status, rows, imported, skipped, failed, chunks done. */
export const getImport = (importId) => api.get(at(importId))

/** Its error report, a CSV (row, field, reason) as text. */
export const importErrors = (importId) => api.get(`${at(importId)}/errors`)
