import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/** Vant's icon font is inlined (woff2 as a data: URL) but its CSS names a CDN copy as a fallback: drop that
 * fallback so the member pages fetch nothing from elsewhere at run time (and the CSP blocks nothing). */
const noRemoteFonts = {
  name: 'no-remote-fonts',
  enforce: 'pre',
  transform(code, id) {
    if (!/\.css($|\?)/.test(id) || !code.includes('alicdn.com')) return null
    return { code: code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\("woff"\)/g, ''), map: null }
  },
}

/** The member pages, served under /m/ (locally by the stack, in AWS from S3 behind CloudFront). */
export default defineConfig({
  root: here('.'),
  base: '/m/',
  plugins: [noRemoteFonts, vue()],
  resolve: { alias: { '@shared': here('../shared'), '@': here('./src') } },
  build: { outDir: here('../dist/m'), emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  logLevel: 'warn',
})
