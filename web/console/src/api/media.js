/** Pictures (上传图片): a file goes straight to storage through a presigned URL, then is published once checked. */
import { api } from '../session'
import { uploadFile } from './imports'

export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp']
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024
const MAX_SIDE = 6000 // pixels a side the server publishes
const FIT_SIDE = 1600 // a picture too large to send is drawn again at most this wide or high (a phone shows ~1,125)

/** The file as it can be published: itself when within the server's limits; else (a phone's 4,000-pixel, 4 MB
 * photo) drawn again at most FIT_SIDE a side as a JPEG on white, its orientation applied (the browser's reading of
 * it) and nothing else of its metadata kept. Null when the browser cannot read it as a picture. */
export async function fitted(file) {
  let bitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    return null
  }
  const { width, height } = bitmap
  const canvas = document.createElement('canvas')
  try {
    if (file.size <= MAX_PICTURE_BYTES && Math.max(width, height) <= MAX_SIDE) return file
    const scale = Math.min(1, FIT_SIDE / Math.max(width, height))
    canvas.width = Math.round(width * scale)
    canvas.height = Math.round(height * scale)
    const pen = canvas.getContext('2d')
    pen.fillStyle = '#ffffff' // what was transparent, on white (a JPEG has no transparency)
    pen.fillRect(0, 0, canvas.width, canvas.height)
    pen.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  } finally {
    bitmap.close()
  }
  const blob = await new Promise((done) => canvas.toBlob(done, 'image/jpeg', 0.85))
  return new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' })
}

/** What a list shows of a picture: the thumbnail of one published here (`/media/<name>-480.jpg`), a link itself. */
export const thumbnailOf = (url) => url.replace(/^(\/media\/[0-9a-f]{32})\.(jpg|png|webp)$/, '$1-480.jpg')

/** Upload a picture file and publish it (`mall:manage`): answers `{url, content_type, size_bytes, thumbnail_url}`,
 * `url` being `/media/<name>` on this origin. The server judges the file by its bytes: 422 `not-a-picture`, 413 `picture-too-large`. */
export async function publishPicture(file) {
  const created = await api.post('/media/uploads', { content_type: file.type })
  await uploadFile(created.upload, file)
  return api.post('/media/pictures', { upload_id: created.upload_id })
}
