import { databaseKinds } from '../test/support/databases.js';
import { simpleHost } from '../test/fixtures/hosts.js';
import { startOffsetHarness } from '../test/support/offsetData.js';
import { intakeBody } from '../test/support/complaintData.js';
import { people } from '../test/support/pluginHarness.js';
const h = await startOffsetHarness(databaseKinds[0]!, simpleHost, {});
const { complaint } = await h.complaints.create(intakeBody('101'), people.counter);
const ev = await h.db(h.ctx.tables.events).where({ complaint_id: complaint.id, action: 'create' }).first();
console.log(ev);
try { console.log('n=', await h.db(h.ctx.tables.events).where({ id: ev.id }).update({ actor_name: 'x' })); } catch (e) { console.log('ERR', String(e)); }
await h.close();
