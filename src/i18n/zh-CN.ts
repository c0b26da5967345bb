// UI strings; zh-CN is the source of truth. en.ts must provide every key (checked by the compiler).
export const zhCN = {
  'app.title': '投诉管理',
  'app.tagline': '受理 · 调查 · 处理 · 回复 · 回访 · 总结改进',
  'nav.home': '首页',
  'nav.api': '接口文档',
  'nav.language': 'English',
  'home.status': '插件状态',
  'home.version': '版本',
  'home.installedAt': '安装时间',
  'home.migrations': '已执行迁移',
  'home.pending': '待执行迁移',
  'home.mapping': '主系统映射检查',
  'home.mappingOk': '映射与数据库相符',
  'home.mappingBad': '映射存在问题',
  'home.entity': '实体',
  'home.table': '表',
  'home.rows': '有效行数',
  'home.problems': '问题',
  'home.none': '无',
  'home.demoUsers': '演示用户',
  'home.demoUsersHint': '以下演示用户可用于调用 JSON 接口（请求头 X-Complaints-User）。',
  'error.notFound': '页面不存在',
  'error.forbidden': '没有权限访问此页面',
  'error.internal': '系统出错了，请稍后再试',
  'error.unavailable': '系统暂时不可用，请稍后重试。已提交的内容不会丢失。',
} as const;

export type MessageKey = keyof typeof zhCN;
