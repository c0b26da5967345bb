// One demo user for each role, so every page and permission can be tried in the demo.
import type { Actor } from '../auth/actor.js';

export const DEMO_USERS: Actor[] = [
  { id: 'demo-counter', name: '前台 王芳', roles: ['counter_staff'], communityIds: null },
  { id: 'demo-supervisor', name: '客服主管 李敏', roles: ['supervisor'], communityIds: null },
  { id: 'demo-manager', name: '项目经理 张强', roles: ['manager'], communityIds: null },
  { id: 'demo-director', name: '总经理 陈刚', roles: ['director'], communityIds: null },
  { id: 'demo-cashier', name: '收银员 赵丽', roles: ['cashier'], communityIds: null },
  { id: 'demo-admin', name: '管理员 孙伟', roles: ['administrator'], communityIds: null },
  { id: 'demo-handler', name: '工程部 张师傅', roles: ['handler'], communityIds: null },
  { id: 'demo-counter-c1', name: '阳光花园前台 周杰', roles: ['counter_staff'], communityIds: ['1'] },
];
