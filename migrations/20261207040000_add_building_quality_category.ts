// Cause category 房屋质量/维修 (leaks, cracks, warranty repairs): staff filed leaks under 邻里纠纷 for want of
// it. The default list (plugin.json) has it; a list an administrator already saved is stored whole in the
// settings table and would never see a new default, so the category is added to it here, before
// 邻里纠纷 (or at the end), and the change is audited like an administrator's. Existing complaints keep the
// category they were filed under: nothing is re-filed. Re-runnable: a list that has the code is left alone.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';

const CATEGORY = { code: 'building_quality', 'zh-CN': '房屋质量/维修', en: 'Building quality and repairs', active: true };

type Category = { code: string; 'zh-CN': string; en: string; active?: boolean };

function stamp(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { settings, events } = ctx.tables;
  const row = (await knex(settings).where({ key: 'categories' }).first('value')) as { value: string } | undefined;
  if (!row) return; // the default list applies, and it has the category
  const before = JSON.parse(row.value) as Category[];
  if (!Array.isArray(before) || before.some((c) => c.code === CATEGORY.code) || before.length >= 100) return;
  const at = before.findIndex((c) => c.code === 'neighbour');
  const after = at < 0 ? [...before, CATEGORY] : [...before.slice(0, at), CATEGORY, ...before.slice(at)];
  await knex.transaction(async (trx) => {
    const now = stamp();
    const changed = await trx(settings)
      .where({ key: 'categories', value: row.value })
      .update({ value: JSON.stringify(after), updated_at: now, updated_by: 'system' });
    if (changed !== 1) return;
    await trx(events).insert({
      entity_type: 'settings',
      entity_id: 0,
      action: 'settings_changed',
      actor_id: 'system',
      actor_name: '系统 / System',
      at: now,
      changes: JSON.stringify({ categories: [before, after] }),
      note: '新增投诉类别“房屋质量/维修” / Added the cause category "Building quality and repairs"',
    });
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  // The category may be in use by then: a stored list keeps it (an administrator may deactivate it).
  void knex;
  void ctx;
}
