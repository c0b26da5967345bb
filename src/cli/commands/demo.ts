// complaints demo (npm start): a realistic demo ERP in a SQLite file, the plugin installed onto it
// through the same mapping path as a real ERP, served on http://localhost:3000. Re-running reuses data.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '../../db/connection.js';
import { loadMappingFile } from '../../host/mapping.js';
import { createDemoErp, demoErpExists } from '../../demo/demoErp.js';
import { DEMO_USERS } from '../../demo/demoUsers.js';
import { seedDemoComplaints } from '../../demo/demoComplaints.js';
import { signUserToken, signedHeaderAuth } from '../../auth/adapter.js';
import { ROLE_LABELS } from '../../auth/permissions.js';
import { createComplaintsPlugin } from '../../plugin/createPlugin.js';
import { createServerApp, listen } from '../../http/server.js';
import { formatReport } from '../../host/check.js';
import { waitForSignal } from './serve.js';

export const DEMO_MAPPING_FILE = fileURLToPath(new URL('../../demo/demo-mapping.json', import.meta.url));

function demoSecret(dataDir: string): string {
  const file = join(dataDir, 'demo-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * What the demo ERP holds, in words that match the mapping check printed next: that check counts live rows
 * only, so its owner count leaves out the former owners the ERP keeps marked as deleted.
 */
export function demoCreatedLines(made: { rooms: number; owners: number; formerOwners: number; bills: number }): string[] {
  const current = made.owners - made.formerOwners;
  return [
    `演示物业系统已创建：${made.rooms} 套房屋，${made.owners} 位业主，${made.bills} 张账单。`,
    `  其中 ${made.formerOwners} 位是已卖房的前业主，ERP 仍保留记录但标记为已删除；下面的映射检查只数未删除的行，所以业主显示为 ${current} 位现业主。`,
    `Demo ERP created: ${made.rooms} rooms, ${made.owners} owners, ${made.bills} bills.`,
    `  ${made.formerOwners} of the owners are former owners who sold their flats: the ERP keeps them, marked deleted. The mapping check below counts only rows that are not deleted, so it shows ${current} current owners.`,
  ];
}

export async function demoCommand(options: { port?: string; data?: string; host?: string }): Promise<number> {
  const dataDir = resolve(options.data ?? process.env.COMPLAINTS_DEMO_DIR ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const db = createDb(`sqlite:${join(dataDir, 'demo-erp.sqlite')}`);
  if (!(await demoErpExists(db))) {
    const made = await createDemoErp(db, new Date());
    console.log(demoCreatedLines(made).join('\n'));
  }
  const secret = demoSecret(dataDir);
  const mapping = loadMappingFile(DEMO_MAPPING_FILE);
  const demoUsers = DEMO_USERS.map((user) => ({
    name: user.name,
    role: user.roles.map((r) => ROLE_LABELS[r]?.['zh-CN'] ?? r).join('、'),
    token: signUserToken(user, secret, 30 * 24 * 3600),
  }));
  // Pages: the sign-in page (mode c) opens a session for a demo user; the JSON API: the signed header (mode b).
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping,
    auth: signedHeaderAuth(secret),
    serviceSecret: secret,
    signIn: { users: DEMO_USERS },
    homeExtras: () => ({ demoUsers }),
  });
  const installed = await plugin.install();
  if (installed.applied.length) console.log(`插件已安装 / plugin installed (${installed.applied.length} migrations)`);
  console.log(formatReport(await plugin.checkHost(), 'zh-CN'));
  const seeded = await seedDemoComplaints(plugin);
  if (seeded) console.log(`已登记 ${seeded} 条示例投诉 / registered ${seeded} example complaints`);
  await plugin.start();
  const port = Number(options.port ?? process.env.PORT ?? 3000);
  const running = await listen(createServerApp(plugin), port, options.host ?? '127.0.0.1');
  const url = running.url.replace('127.0.0.1', 'localhost');
  console.log(`\n投诉管理演示已启动 / complaints demo running: ${url}${plugin.router.opts.prefix ?? ''}/`);
  console.log('在浏览器中打开上面的地址，选择一位演示用户登录 / open the address above and sign in as one of the demo users:');
  for (const u of demoUsers) console.log(`  ${u.name}（${u.role}）`);
  console.log(`  JSON 接口令牌（请求头 X-Complaints-User）见登录页 / JSON API tokens (header X-Complaints-User) are listed on the sign-in page.`);
  console.log('  按 Ctrl+C 停止 / press Ctrl+C to stop.');
  await waitForSignal();
  await running.close();
  await plugin.stop();
  await db.destroy();
  return 0;
}
