import * as icons from '@element-plus/icons-vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import { createApp } from 'vue'
import '@shared/motion.css'
import './console.css'
import { askPlatformDay } from '@shared/businessday'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

const app = createApp(App)
for (const [name, component] of Object.entries(icons)) app.component(name, component)
app.use(ElementPlus).use(i18n).use(router)
askPlatformDay().then(() => app.mount('#app'))
