import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/** The back office, served under /m/ (locally by the stack, in AWS from S3 behind CloudFront). */
export default defineConfig({
  root: here('.'),
  base: '/m/',
  plugins: [vue()],
  resolve: { alias: { '@shared': here('../shared'), '@': here('./src') } },
  build: { outDir: here('../dist/m'), emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  logLevel: 'warn',
})
