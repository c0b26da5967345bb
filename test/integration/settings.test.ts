// The settings store on both databases: the audit trail of a change never holds a secret (the webhook
// secret, a password or token in the webhook URL), and a service calendar a deadline could not be
// counted with is refused field by field, in Chinese and English, with nothing saved. Settings are
// cached for SETTINGS_CACHE_MS by the plugin's clock: exactly that long, one read for requests that miss
// together, and a save in this process is seen at once.
import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { ValidationError } from '../../src/common/errors.js';
import { listEvents } from '../../src/common/events.js';
import type { ServiceCalendar } from '../../src/calendar/calendar.js';
import { REDACTED, SETTINGS_CACHE_MS, SettingsStore, redactForAudit } from '../../src/settings/settings.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { jobContext, migrate } from '../support/jobsHarness.js';
import { people } from '../support/pluginHarness.js';

const admin = people.administrator;

describe('settings: redaction for the audit trail', () => {
  it('shows secrets only as set or not set, and hides credentials inside URLs', () => {
    expect(redactForAudit('webhookSecret', 's3cret')).to.equal(REDACTED);
    expect(redactForAudit('webhookSecret', null)).to.equal(null);
    expect(redactForAudit('apiToken', '')).to.equal(null);
    expect(redactForAudit('webhookUrl', 'https://erp.example.com/hooks/complaints')).to.equal('https://erp.example.com/hooks/complaints');
    expect(redactForAudit('webhookUrl', 'https://bot:pa55@erp.example.com/hook?token=abc&tenant=7&sig=xyz')).to.equal(
      'https://bot:***@erp.example.com/hook?token=***&tenant=7&sig=***',
    );
    expect(redactForAudit('relay', { url: 'https://x.example/?access_key=k1', password: 'p', retries: 3 })).to.deep.equal({
      url: 'https://x.example/?access_key=***',
      password: REDACTED,
      retries: 3,
    });
    expect(redactForAudit('followUpHours', 24)).to.equal(24);
  });
});

for (const kind of databaseKinds) {
  describe(`settings store (${kind.kind})`, function () {
    let t: TestDatabase;
    let ctx: ReturnType<typeof jobContext>;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
      ctx = jobContext(t.db, new ManualClock('2026-11-28T02:00:00Z'));
    });
    after(async () => t?.drop());

    const settingsEvents = () => listEvents(t.db, ctx.tables, 'settings', 0);
    const stored = async (key: string) => ((await t.db(ctx.tables.settings).where({ key }).first()) as { value: string } | undefined)?.value ?? null;

    it('records that the webhook secret was set, changed and cleared, never its value', async () => {
      await ctx.settings.update({ webhookUrl: 'https://erp.example.com/hook?token=t0ken-1', webhookSecret: 'first-secret-value' }, admin);
      await ctx.settings.update({ webhookSecret: 'second-secret-value' }, admin);
      await ctx.settings.update({ webhookSecret: null, followUpHours: 12 }, admin);
      const events = await settingsEvents();
      expect(events.map((e) => e.changes)).to.deep.equal([
        { webhookUrl: [null, 'https://erp.example.com/hook?token=***'], webhookSecret: [null, REDACTED] },
        { webhookSecret: [REDACTED, REDACTED] },
        { webhookSecret: [REDACTED, null], followUpHours: [24, 12] },
      ]);
      const raw = JSON.stringify(await t.db(ctx.tables.events).where({ entity_type: 'settings' }));
      for (const secret of ['first-secret-value', 'second-secret-value', 't0ken-1']) expect(raw).not.to.contain(secret);
      // The settings themselves keep the real values: the deliverer signs with them.
      expect(await stored('webhookUrl')).to.equal(JSON.stringify('https://erp.example.com/hook?token=t0ken-1'));
      expect((await ctx.settings.get()).webhookSecret).to.equal(null);
      await ctx.settings.update({ webhookUrl: null, followUpHours: 24 }, admin);
    });

    it('refuses working hours that end before they start, with the field named in both languages, and saves nothing', async () => {
      const calendar = (await ctx.settings.get()).serviceCalendar;
      const eventsBefore = (await settingsEvents()).length;
      const refused = async (patch: Partial<ServiceCalendar>) => {
        const error = await ctx.settings.update({ serviceCalendar: { ...calendar, mode: 'working', ...patch } }, admin).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, JSON.stringify(patch)).to.be.instanceOf(ValidationError);
        return (error as ValidationError).fields;
      };
      const [inverted, ...others] = await refused({ workdayStart: '18:00', workdayEnd: '09:00' });
      expect(others).to.deep.equal([]);
      expect(inverted).to.deep.equal({
        field: 'serviceCalendar.workdayEnd',
        message: { 'zh-CN': '下班时间 09:00 必须晚于上班时间 18:00', en: 'The working day must end (09:00) after it starts (18:00)' },
      });
      expect((await refused({ workdayStart: '09:00', workdayEnd: '09:00' })).map((f) => f.field)).to.deep.equal(['serviceCalendar.workdayEnd']);
      // Malformed times are the schema's to refuse, under the same field names.
      expect((await refused({ workdayStart: '9:00' })).map((f) => f.field)).to.deep.equal(['serviceCalendar.workdayStart']);
      expect((await refused({ workdayEnd: '25:00' })).map((f) => f.field)).to.deep.equal(['serviceCalendar.workdayEnd']);
      expect((await refused({ weekendDays: [0, 1, 2, 3, 4, 5, 6] })).map((f) => f.field)).to.deep.equal(['serviceCalendar.weekendDays']);
      expect(await stored('serviceCalendar')).to.equal(null);
      expect((await ctx.settings.get()).serviceCalendar).to.deep.equal(calendar);
      expect(await settingsEvents()).to.have.length(eventsBefore);
    });

    it('refuses impossible dates, dates under another year and a day both off and worked', async () => {
      const calendar = (await ctx.settings.get()).serviceCalendar;
      const attempt = (years: ServiceCalendar['years']) =>
        ctx.settings.update({ serviceCalendar: { ...calendar, years } }, admin).then(
          () => [] as string[],
          (e: unknown) => (e as ValidationError).fields.map((f) => `${f.field}: ${f.message.en}`),
        );
      expect(await attempt({ '2027': { holidays: ['2027-02-30'], workdays: [] } })).to.deep.equal([
        'serviceCalendar.years.2027.holidays.0: The holidays: use real dates as year-month-day, e.g. 2026-11-28',
      ]);
      expect(await attempt({ '2027': { holidays: ['2027-01-01', '2026-10-01'], workdays: ['2027-01-01'] } })).to.deep.equal([
        'serviceCalendar.years.2027.holidays.1: The holiday 2026-10-01 is not in 2027',
        'serviceCalendar.years.2027.workdays.0: 2027-01-01 cannot be both a holiday and a make-up working day',
      ]);
      expect(await stored('serviceCalendar')).to.equal(null);

      const next = {
        ...calendar,
        mode: 'working' as const,
        workdayStart: '08:30',
        workdayEnd: '17:30',
        years: { ...calendar.years, '2027': { holidays: ['2027-01-01'], workdays: [] } },
      };
      await ctx.settings.update({ serviceCalendar: next }, admin);
      expect((await ctx.settings.get()).serviceCalendar).to.deep.equal(next);
      await ctx.settings.update({ serviceCalendar: calendar }, admin);
    });
  });

  describe(`settings cache (${kind.kind})`, function () {
    let t: TestDatabase;
    let clock: ManualClock;
    let store: SettingsStore;
    let reads: number;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
      clock = new ManualClock('2026-12-07T02:00:00Z');
      store = new SettingsStore(t.db, jobContext(t.db, clock).tables, clock);
      t.db.on('query', (q: { sql: string }) => {
        if (/from [`"]?\w*settings[`"]?/i.test(q.sql)) reads++;
      });
    });
    after(async () => t?.drop());
    beforeEach(() => (reads = 0));

    /** What another instance's save looks like from here: the row changes behind this store's back. */
    const writeBehind = async (key: string, value: unknown) => {
      const tables = jobContext(t.db, clock).tables;
      const updated = await t
        .db(tables.settings)
        .where({ key })
        .update({ value: JSON.stringify(value) });
      if (!updated) await t.db(tables.settings).insert({ key, value: JSON.stringify(value), updated_at: '2026-12-07 02:00:00', updated_by: 'test' });
    };

    it('keeps what it read for exactly SETTINGS_CACHE_MS by the plugin clock, then reads again', async () => {
      expect((await store.get()).followUpHours).to.equal(24);
      await writeBehind('followUpHours', 48);
      clock.advance(SETTINGS_CACHE_MS);
      expect((await store.get()).followUpHours).to.equal(24);
      clock.advance(1);
      expect((await store.get()).followUpHours).to.equal(48);
      expect(reads).to.equal(2);
    });

    it('reads once for requests that miss together', async () => {
      clock.advance(SETTINGS_CACHE_MS + 1);
      const all = await Promise.all(Array.from({ length: 10 }, () => store.get()));
      expect(all.every((s) => s === all[0])).to.equal(true);
      expect(reads).to.equal(1);
    });

    it('sees a save made through it at once', async () => {
      expect((await store.get()).repeatWindowDays).not.to.equal(9);
      await store.update({ repeatWindowDays: 9 }, admin);
      expect((await store.get()).repeatWindowDays).to.equal(9);
    });

    it("sees a save made in a caller's transaction once it commits, though a get in between read the old settings", async function () {
      // SQLite has one connection: a get during the transaction would wait for it, never read in between.
      if (kind.kind === 'sqlite') this.skip();
      await t.db.transaction(async (trx) => {
        await store.update({ repeatWindowDays: 12 }, admin, { trx });
        expect((await store.get()).repeatWindowDays).not.to.equal(12);
      });
      expect((await store.get()).repeatWindowDays).to.equal(12);
    });
  });
}
