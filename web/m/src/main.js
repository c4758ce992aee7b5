import { createApp } from 'vue'
import 'vant/lib/index.css'
import Vant from 'vant'
import '@shared/motion.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

createApp(App).use(Vant).use(i18n).use(router).mount('#app')
