import { createApp } from 'vue'
import 'vant/lib/index.css'
import Vant from 'vant'
import '@shared/motion.css'
import { askPlatformDay } from '@shared/businessday'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

const app = createApp(App).use(Vant).use(i18n).use(router)
askPlatformDay().then(() => app.mount('#app'))
