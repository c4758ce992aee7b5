/** Pictures (上传图片): a file goes straight to storage through a presigned URL, then is published once checked. */
import { api } from '../session'
import { uploadFile } from './imports'

export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp']
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024

/** Upload a picture file and publish it (`mall:manage`): answers `{url, content_type, size_bytes}`, `url` being
 * `/media/<name>` on this origin. The server judges the file by its bytes: 422 `not-a-picture`, 413 `picture-too-large`. */
export async function publishPicture(file) {
  const created = await api.post('/media/uploads', { content_type: file.type })
  await uploadFile(created.upload, file)
  return api.post('/media/pictures', { upload_id: created.upload_id })
}
