/** Words the configuration and system screens share (problems, paging, validation). */
export default {
  'zh-CN': {
    config: {
      pager: { label: '分页', prev: '上一页', next: '下一页', page: '第 {n} 页' },
      problems: {
        forbidden: '您没有执行此操作的权限。',
        notFound: '找不到该记录，可能已被删除。',
        conflict: '该操作与当前状态冲突',
        invalid: '请检查填写的内容',
        tooMany: '操作太频繁，请稍后再试。',
        unavailable: '服务暂时不可用，请稍后再试。',
        badJson: 'JSON 格式错误：{message}',
        notObject: '内容必须是一个 JSON 对象',
      },
      rules: {
        required: '必填',
        yuan: '请输入金额（元），最多两位小数',
        positive: '金额必须大于 0',
        integer: '请输入不小于 0 的整数',
      },
      serverErrors: '服务器指出以下问题：',
      saved: '已保存',
      created: '已创建',
      areYouSure: '请确认',
    },
  },
  en: {
    config: {
      pager: { label: 'Pages', prev: 'Previous', next: 'Next', page: 'Page {n}' },
      problems: {
        forbidden: 'You may not do this.',
        notFound: 'No such record; it may have been removed.',
        conflict: 'This clashes with the current state',
        invalid: 'Please check what you entered',
        tooMany: 'Too many attempts; try again in a moment.',
        unavailable: 'The service is unavailable for a moment; try again.',
        badJson: 'Not valid JSON: {message}',
        notObject: 'The content must be one JSON object',
      },
      rules: {
        required: 'Required',
        yuan: 'An amount in yuan, at most two decimals',
        positive: 'The amount must be above zero',
        integer: 'A whole number, zero or more',
      },
      serverErrors: 'The server found these problems:',
      saved: 'Saved',
      created: 'Created',
      areYouSure: 'Please confirm',
    },
  },
}
