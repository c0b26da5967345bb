// Personal data kept no longer than needed (PIPL, issue 23):
// - complaints.anonymised_at: when the retention job or an owner's request replaced the complaint's
//   personal data (names, contact number, free text); NULL while it holds them.
// - events.redacted_at, and the audit trail's UPDATE trigger narrowed: the trail stays append-only for
//   everything (who, what, when, states), except that an event's note and changes may be redacted once,
//   and only together with setting redacted_at. The DELETE trigger is unchanged.
// Guarded steps: the new trigger is created before the old one is dropped, so at every point of a run
// that stopped half-way the trail refuses ordinary UPDATEs; running it again finishes the job.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, dropColumnIfPresent, hasTrigger, makeAppendOnly, quoteId } from '../src/db/schema.js';

const KEPT = ['id', 'entity_type', 'entity_id', 'complaint_id', 'action', 'from_state', 'to_state', 'actor_id', 'actor_name', 'at'];

const newTrigger = (ctx: MigrationContext) => `${ctx.tables.events}_update_only_redacts`;
const oldTrigger = (ctx: MigrationContext) => `${ctx.tables.events}_no_update`;

function timeColumn(ctx: MigrationContext, t: Knex.AlterTableBuilder, name: string) {
  return t.specificType(name, ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT').nullable();
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, events } = ctx.tables;
  await addColumnIfMissing(knex, complaints, 'anonymised_at', (t) => timeColumn(ctx, t, 'anonymised_at'));
  await addColumnIfMissing(knex, events, 'redacted_at', (t) => timeColumn(ctx, t, 'redacted_at'));

  const name = newTrigger(ctx);
  if (!(await hasTrigger(knex, name))) {
    const message = `${events} is append-only (an event may only be redacted once)`;
    if (ctx.client === 'mysql2') {
      const same = KEPT.map((c) => `NEW.${quoteId(knex, c)} <=> OLD.${quoteId(knex, c)}`).join(' AND ');
      await knex.raw(
        `CREATE TRIGGER ${quoteId(knex, name)} BEFORE UPDATE ON ${quoteId(knex, events)} FOR EACH ROW BEGIN ` +
          `IF NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND ${same}) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'; END IF; END`,
      );
    } else {
      const same = KEPT.map((c) => `NEW.${quoteId(knex, c)} IS OLD.${quoteId(knex, c)}`).join(' AND ');
      await knex.raw(
        `CREATE TRIGGER ${quoteId(knex, name)} BEFORE UPDATE ON ${quoteId(knex, events)} ` +
          `WHEN NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND ${same}) BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      );
    }
  }
  await knex.raw(`DROP TRIGGER IF EXISTS ${quoteId(knex, oldTrigger(ctx))}`);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, events } = ctx.tables;
  // The old UPDATE trigger exactly as the core tables' migration made it (its DELETE twin is still there).
  await makeAppendOnly(knex, ctx, events);
  await knex.raw(`DROP TRIGGER IF EXISTS ${quoteId(knex, newTrigger(ctx))}`);
  await dropColumnIfPresent(knex, events, 'redacted_at');
  await dropColumnIfPresent(knex, complaints, 'anonymised_at');
}
