// Attachments on both databases and both storage backends: photos at intake, on a progress note and on the
// reply, through the pages (multipart forms) and the JSON API. Refusals name the file and why and change
// nothing, with every typed field re-rendered: a disguised file (HTML, SVG, a Windows program renamed .jpg),
// an oversized file, too many files. A good JPEG with GPS EXIF is stored without it. A staff user outside
// the complaint's community gets 404 for the list, the bytes and the thumbnail. Serving carries nosniff, a
// sandboxing CSP and a Content-Disposition. Notes default internal, replies owner-visible, and the staff
// page shows which is which. Every upload and removal is audited.
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, staff, startPageHarness, userHeader, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';
import type { Actor } from '../../src/auth/actor.js';
import { createAttachmentService } from '../../src/attachments/service.js';
import { DirectoryBlobStore } from '../../src/attachments/store/blobStore.js';
import { DomainError } from '../../src/common/errors.js';

const T = tableNames('cmp_');

/** A small JPEG carrying a camera make and a GPS position (WGS-84 is an ASCII tag we can look for). */
async function gpsJpeg(color = 'red'): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 480, channels: 3, background: color } })
    .jpeg()
    .withExif({ IFD0: { Make: 'LeakCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '31/1 14/1 0/1', GPSMapDatum: 'WGS-84' } })
    .toBuffer();
}

async function png(): Promise<Buffer> {
  return sharp({ create: { width: 32, height: 32, channels: 4, background: '#00ff0080' } })
    .png()
    .toBuffer();
}

const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), Buffer.alloc(300, 0x41)]);
/** A HEIC container header with no image in it: recognised as HEIC by its content, not decodable here. */
function heicLike(): Buffer {
  const b = Buffer.alloc(256);
  b.writeUInt32BE(24, 0);
  b.write('ftypheic', 4);
  b.write('mif1heic', 16);
  return b;
}
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

interface Upload {
  field: string;
  name: string;
  data: Buffer;
  type?: string;
}

/** A multipart form post as a browser makes it: the session cookie, same-origin Origin, the page's CSRF token. */
async function postMultipart(client: PageClient, path: string, fields: Record<string, string>, files: Upload[]) {
  const body = new FormData();
  body.append('_csrf', client.csrf());
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  for (const f of files) body.append(f.field, new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/jpeg' }), f.name);
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${client.origin}${client.base}${path}`, { method: 'POST', body, headers: { cookie, origin: client.origin }, redirect: 'manual' });
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('html')) client.lastPage = text;
  return { status: res.status, text, location: res.headers.get('location'), headers: res.headers };
}

for (const kind of databaseKinds) {
  describe(`attachments (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;
    let counter: PageClient;
    let supervisor: PageClient;

    async function count(table: string, where: Record<string, unknown> = {}): Promise<number> {
      return Number(((await h.db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    }

    async function api(actor: Actor, method: string, path: string, init: { form?: FormData; json?: unknown } = {}) {
      const headers: Record<string, string> = { ...userHeader(actor, h.clock) };
      if (init.json !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${h.origin}${h.base}${path}`, {
        method,
        headers,
        body: init.form ?? (init.json !== undefined ? JSON.stringify(init.json) : undefined),
      });
      const buf = Buffer.from(await res.arrayBuffer());
      const isJson = (res.headers.get('content-type') ?? '').includes('json');
      return { status: res.status, headers: res.headers, body: isJson ? (JSON.parse(buf.toString('utf8')) as any) : null, bytes: buf };
    }

    function files(step: string, list: Array<Omit<Upload, 'field'>>, visibility?: string): FormData {
      const form = new FormData();
      form.append('step', step);
      if (visibility) form.append('visibility', visibility);
      for (const f of list) form.append('files', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/jpeg' }), f.name);
      return form;
    }

    const intakeFields = (overrides: Record<string, string> = {}) =>
      intakeForm({ description: '阳台漏水一个月了，天花板发霉', expectation: '尽快维修', ...overrides });

    async function register(): Promise<number> {
      await counter.get('/new?unit=101');
      const res = await counter.post('/new', intakeFields());
      expect(res.status, res.text.slice(0, 1500)).to.equal(303);
      return Number(/\/c\/(\d+)\//.exec(res.location!)![1]);
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      supervisor = h.client();
      await counter.signIn(staff.counter);
      await supervisor.signIn(staff.supervisor);
    });
    after(async () => h?.close());
    afterEach(() =>
      expect(
        h.errors.map((e) => String((e as Error)?.stack ?? e)),
        'no 500s',
      ).to.deep.equal([]),
    );

    it('registers at the counter with two photos: stored re-encoded with thumbnails, audited, shown on the page', async () => {
      await counter.get('/new?unit=101');
      const res = await postMultipart(counter, '/new', intakeFields(), [
        { field: 'files', name: '漏水.jpg', data: await gpsJpeg() },
        { field: 'files', name: 'ceiling.png', data: await png(), type: 'image/png' },
      ]);
      expect(res.status, res.text.slice(0, 1500)).to.equal(303);
      const id = Number(/\/c\/(\d+)\//.exec(res.location!)![1]);
      const rows = await h.db(T.attachments).where({ complaint_id: id }).orderBy('id');
      expect(rows.map((r) => [r.step, r.visibility, r.file_name, r.mime, r.processing, r.storage])).to.deep.equal([
        ['intake', 'internal', '漏水.jpg', 'image/jpeg', 'reencoded', 'database'],
        ['intake', 'internal', 'ceiling.png', 'image/png', 'reencoded', 'database'],
      ]);
      expect(rows.every((r) => Number(r.thumb_size_bytes) > 0)).to.equal(true);
      const events = await h.db(T.events).where({ complaint_id: id, entity_type: 'attachment' }).orderBy('id');
      expect(events.map((e) => [e.action, e.actor_id, Number(e.entity_id)])).to.deep.equal(rows.map((r) => ['upload', staff.counter.id, Number(r.id)]));

      const page = await counter.get(`/c/${id}`);
      expect(page.text).to.include('附件与照片').and.include('漏水.jpg').and.include('受理登记').and.include('仅内部');
      expect(page.text).to.include(`src="${h.base}/c/${id}/files/${rows[0].id}/thumb"`);
      // The thumbnail and the photo are served to a person who may see the complaint.
      const thumb = await fetch(`${h.origin}${h.base}/c/${id}/files/${rows[0].id}/thumb`, {
        headers: { cookie: [...counter.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      expect(thumb.status).to.equal(200);
      expect(thumb.headers.get('content-type')).to.equal('image/jpeg');
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      expect(Math.max(meta.width!, meta.height!)).to.equal(320);
    });

    it('a disguised file on the intake form (HTML renamed .jpg) refuses the form naming the file; every typed field comes back; nothing is registered', async () => {
      const complaintsBefore = await count(T.complaints);
      const attachmentsBefore = await count(T.attachments);
      await counter.get('/new?unit=101');
      const typed = intakeFields({ description: '电梯三天两头停，老人上不了楼', expectation: '给个说法' });
      const res = await postMultipart(counter, '/new', typed, [
        { field: 'files', name: 'good.jpg', data: await gpsJpeg() },
        { field: 'files', name: 'photo.jpg', data: HTML },
      ]);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('文件“photo.jpg”的内容不是允许的类型（只收 JPEG、PNG、WebP、HEIC、PDF），未上传');
      expect(res.text).to.include('请重新选择要上传的文件');
      expect(res.text).to.include('电梯三天两头停，老人上不了楼').and.include('给个说法').and.include('value="13800138001"');
      expect(counter.field('idempotencyKey')).to.equal(typed.idempotencyKey);
      expect(await count(T.complaints)).to.equal(complaintsBefore);
      expect(await count(T.attachments)).to.equal(attachmentsBefore);
    });

    it('a disguised SVG or program on the progress note refuses the note with each file named and why; the note text is kept; nothing is written', async () => {
      const id = await register();
      await counter.get(`/c/${id}`);
      const version = /name="version" value="(\d+)"/.exec(counter.lastPage)![1]!;
      const eventsBefore = await count(T.events, { complaint_id: id });
      const res = await postMultipart(counter, `/c/${id}/act/note`, { version, note: '已约维修师傅周六上门', noteVisibility: 'owner_visible' }, [
        { field: 'files', name: 'drawing.jpg', data: SVG },
        { field: 'files', name: 'setup.jpg', data: EXE },
      ]);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('文件“drawing.jpg”的内容不是允许的类型');
      // Only the first message per field is shown; the API answer lists both (below).
      expect(res.text).to.include('已约维修师傅周六上门');
      expect(res.text).to.match(/<option value="owner_visible" selected>业主可见<\/option>/);
      expect(await count(T.events, { complaint_id: id })).to.equal(eventsBefore);
      expect(await count(T.attachments, { complaint_id: id })).to.equal(0);

      const answer = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, {
        form: files('progress', [
          { name: 'drawing.jpg', data: SVG },
          { name: 'setup.jpg', data: EXE },
        ]),
      });
      expect(answer.status).to.equal(400);
      expect(answer.body.error.fields.map((f: { field: string; message: string }) => [f.field, f.message])).to.deep.equal([
        ['files', '文件“drawing.jpg”的内容不是允许的类型（只收 JPEG、PNG、WebP、HEIC、PDF），未上传'],
        ['files', '文件“setup.jpg”的内容不是允许的类型（只收 JPEG、PNG、WebP、HEIC、PDF，实际为 exe (application/x-msdownload)），未上传'],
      ]);
      expect(await count(T.attachments, { complaint_id: id })).to.equal(0);
    });

    it('an oversized file and too many files are refused naming the files; the rest of the form is kept', async () => {
      const id = await register();
      const big = Buffer.concat([await gpsJpeg(), Buffer.alloc(10 * 1024 * 1024, 0)]);
      const tooBig = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, { form: files('progress', [{ name: '大图.jpg', data: big }]) });
      expect(tooBig.status).to.equal(400);
      expect(tooBig.body.error.fields).to.deep.equal([{ field: 'files', message: '文件“大图.jpg”超过 10 MB，未上传' }]);

      const one = await gpsJpeg();
      const ten = Array.from({ length: 10 }, (_, i) => ({ name: `p${i + 1}.jpg`, data: one }));
      const many = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, { form: files('progress', ten) });
      expect(many.status).to.equal(400);
      expect(many.body.error.fields).to.deep.equal([{ field: 'files', message: '每一步最多上传 9 个文件；多出的 “p10.jpg” 未上传' }]);
      expect(await count(T.attachments, { complaint_id: id })).to.equal(0);

      // On the page: the note and its visibility survive an oversized photo.
      await counter.get(`/c/${id}`);
      const version = /name="version" value="(\d+)"/.exec(counter.lastPage)![1]!;
      const res = await postMultipart(counter, `/c/${id}/act/note`, { version, note: '师傅说要换防水层' }, [{ field: 'files', name: '大图.jpg', data: big }]);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('文件“大图.jpg”超过 10 MB，未上传').and.include('师傅说要换防水层');
      expect(await count(T.attachments, { complaint_id: id })).to.equal(0);
    });

    it('a good JPEG with GPS EXIF is stored without any EXIF; served with nosniff, a sandboxing CSP and a Content-Disposition', async () => {
      const id = await register();
      const original = await gpsJpeg('blue');
      expect(original.includes('WGS-84') && original.includes('LeakCam'), 'the test photo carries GPS').to.equal(true);
      const res = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, { form: files('progress', [{ name: '现场.jpg', data: original }]) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const [a] = res.body.attachments;
      expect(a).to.include({
        step: 'progress',
        visibility: 'internal',
        mime: 'image/jpeg',
        processing: 'reencoded',
        fileName: '现场.jpg',
        width: 640,
        height: 480,
      });

      // What is in the database has no EXIF at all.
      const parts = await h
        .db(T.attachmentBlobs)
        .join(T.attachments, `${T.attachments}.storage_key`, `${T.attachmentBlobs}.blob_key`)
        .where(`${T.attachments}.id`, a.id)
        .orderBy('part');
      const stored = Buffer.concat(parts.map((p: { data: Buffer }) => p.data));
      expect(stored.includes('WGS-84')).to.equal(false);
      expect(stored.includes('LeakCam')).to.equal(false);
      expect((await sharp(stored).metadata()).exif).to.equal(undefined);

      const content = await api(staff.counter, 'GET', `/api/complaints/${id}/attachments/${a.id}/content`);
      expect(content.status).to.equal(200);
      expect(content.bytes.equals(stored)).to.equal(true);
      expect(content.headers.get('content-type')).to.equal('image/jpeg');
      expect(content.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(content.headers.get('content-security-policy')).to.include("default-src 'none'").and.include('sandbox');
      expect(content.headers.get('content-disposition')).to.equal(`inline; filename="__.jpg"; filename*=UTF-8''${encodeURIComponent('现场.jpg')}`);
      const download = await api(staff.counter, 'GET', `/api/complaints/${id}/attachments/${a.id}/content?download=1`);
      expect(download.headers.get('content-disposition')).to.match(/^attachment;/);
    });

    it('a PDF and an undecodable HEIC are kept as uploaded, without a thumbnail, and always served as downloads', async () => {
      const id = await register();
      const res = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, {
        form: files('progress', [
          { name: '检测报告.pdf', data: PDF, type: 'application/pdf' },
          { name: 'IMG_0001.HEIC', data: heicLike(), type: 'image/heic' },
        ]),
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.attachments.map((x: any) => [x.fileName, x.mime, x.processing, x.thumbnailUrl])).to.deep.equal([
        ['检测报告.pdf', 'application/pdf', 'as_uploaded', null],
        ['IMG_0001.heic', 'image/heic', 'as_uploaded', null],
      ]);
      for (const x of res.body.attachments) {
        const got = await api(staff.counter, 'GET', `/api/complaints/${id}/attachments/${x.id}/content`);
        expect(got.headers.get('content-disposition')).to.match(/^attachment;/);
        expect(got.headers.get('x-content-type-options')).to.equal('nosniff');
        const thumb = await api(staff.counter, 'GET', `/api/complaints/${id}/attachments/${x.id}/thumbnail`);
        expect(thumb.status).to.equal(404);
      }
    });

    it('a staff user outside the complaint’s community gets 404 for the list, the bytes, the thumbnail, the page route and the upload', async () => {
      const id = await register();
      const up = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, { form: files('progress', [{ name: 'a.jpg', data: await gpsJpeg() }]) });
      const aid = up.body.attachments[0].id;
      const outsider = staff.scoped2; // supervisor of community 2; the complaint is in community 1
      for (const path of [
        `/api/complaints/${id}/attachments`,
        `/api/complaints/${id}/attachments/${aid}/content`,
        `/api/complaints/${id}/attachments/${aid}/thumbnail`,
      ]) {
        const res = await api(outsider, 'GET', path);
        expect(res.status, path).to.equal(404);
        expect(res.bytes.includes(Buffer.from([0xff, 0xd8, 0xff])), 'no image bytes').to.equal(false);
      }
      const post = await api(outsider, 'POST', `/api/complaints/${id}/attachments`, { form: files('progress', [{ name: 'b.jpg', data: await gpsJpeg() }]) });
      expect(post.status).to.equal(404);
      // The page route, signed in as the outsider.
      const client = h.client();
      await client.signIn(outsider);
      const page = await client.get(`/c/${id}/files/${aid}`);
      expect(page.status).to.equal(404);
      // An attachment id of another complaint is not reachable through a complaint one may see.
      const other = await register();
      expect((await api(staff.counter, 'GET', `/api/complaints/${other}/attachments/${aid}/content`)).status).to.equal(404);
      expect(await count(T.attachments, { complaint_id: id })).to.equal(1);
    });

    it('notes default internal, replies owner-visible; staff choose, and the page shows which is which', async () => {
      const id = await register();
      await supervisor.get(`/c/${id}`);
      let version = /name="version" value="(\d+)"/.exec(supervisor.lastPage)![1]!;
      expect(supervisor.lastPage).to.match(
        /<select id="nt-noteVisibility" name="noteVisibility"><option value="owner_visible">业主可见<\/option><option value="internal" selected>仅内部<\/option>/,
      );
      let res = await supervisor.post(`/c/${id}/act/note`, { version, note: '内部：物业费欠缴两个月' });
      expect(res.status).to.equal(303);
      await supervisor.get(`/c/${id}`);
      version = /name="version" value="(\d+)"/.exec(supervisor.lastPage)![1]!;
      res = await postMultipart(
        supervisor,
        `/c/${id}/act/note`,
        { version, note: '维修师傅已上门查看', noteVisibility: 'owner_visible', filesVisibility: 'owner_visible' },
        [{ field: 'files', name: 'visit.jpg', data: await gpsJpeg() }],
      );
      expect(res.status, res.text.slice(0, 1500)).to.equal(303);
      const notes = await h.db(T.events).where({ complaint_id: id, action: 'note' }).orderBy('id');
      expect(notes.map((e) => [e.note, e.visibility])).to.deep.equal([
        ['内部：物业费欠缴两个月', 'internal'],
        ['维修师傅已上门查看', 'owner_visible'],
      ]);
      const [photo] = await h.db(T.attachments).where({ complaint_id: id });
      expect([photo.step, photo.visibility]).to.deep.equal(['progress', 'owner_visible']);

      // Reply with before/after photos: owner-visible by default.
      await supervisor.get(`/c/${id}`);
      version = /name="version" value="(\d+)"/.exec(supervisor.lastPage)![1]!;
      res = await postMultipart(
        supervisor,
        `/c/${id}/act/resolve`,
        { version, reply: '已更换阳台防水层', basis: '现场检查：防水层老化', nature: 'help', disputeType: 'property' },
        [
          { field: 'filesBefore', name: 'before.jpg', data: await gpsJpeg('gray') },
          { field: 'filesAfter', name: 'after.jpg', data: await gpsJpeg('white') },
        ],
      );
      expect(res.status, res.text.slice(0, 2500)).to.equal(303);
      const complaint = await h.db(T.complaints).where({ id }).first();
      expect(complaint.reply_visibility).to.equal('owner_visible');
      const replyPhotos = await h.db(T.attachments).where({ complaint_id: id }).whereIn('step', ['reply_before', 'reply_after']).orderBy('id');
      expect(replyPhotos.map((r) => [r.step, r.visibility, r.file_name])).to.deep.equal([
        ['reply_before', 'owner_visible', 'before.jpg'],
        ['reply_after', 'owner_visible', 'after.jpg'],
      ]);
      const page = await supervisor.get(`/c/${id}`);
      expect(page.text).to.match(/内部：物业费欠缴两个月 <span class="badge visibility" data-visibility="note">仅内部<\/span>/);
      expect(page.text).to.match(/维修师傅已上门查看 <span class="badge visibility owner-visible" data-visibility="note">业主可见<\/span>/);
      expect(page.text).to.match(/已更换阳台防水层 <span class="badge visibility owner-visible" data-visibility="reply">业主可见<\/span>/);
      expect(page.text).to.include('答复（处理前）').and.include('答复（处理后）');

      // The owner side sees owner-visible files only.
      const ownerList = await h.plugin.attachments.forOwnerList(id);
      expect(ownerList.map((a) => a.fileName)).to.deep.equal(['visit.jpg', 'before.jpg', 'after.jpg']);
      const internal = await h.plugin.attachments.attach(
        id,
        [{ field: 'files', fileName: 'internal.png', data: await png() }],
        { step: 'progress' },
        staff.supervisor,
      );
      let refused: unknown = null;
      await h.plugin.attachments.forOwnerRead(id, internal[0]!.id, 'original').catch((err) => (refused = err));
      expect(refused).to.be.instanceOf(DomainError);
      expect((refused as DomainError).status).to.equal(404);
    });

    it('a reply may be made internal; the API takes replyVisibility and noteVisibility and refuses other values at the field', async () => {
      const id = await register();
      const bad = await api(staff.supervisor, 'POST', `/api/complaints/${id}/transitions/note`, {
        json: { version: 1, note: 'x', noteVisibility: 'everyone' },
      });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.fields[0].field).to.equal('noteVisibility');
      const ok = await api(staff.supervisor, 'POST', `/api/complaints/${id}/transitions/resolve`, {
        json: { version: 1, reply: '已协调', basis: '邻里纠纷', replyVisibility: 'internal', nature: 'help' },
      });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body.complaint.replyVisibility).to.equal('internal');
    });

    it('removal by the uploader deletes the bytes, keeps the record and is audited; others without complaint.assess may not', async () => {
      const id = await register();
      const up = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments`, {
        form: files('progress', [{ name: 'wrong.jpg', data: await gpsJpeg() }]),
      });
      const a = up.body.attachments[0];
      const key = (await h.db(T.attachments).where({ id: a.id }).first()).storage_key;
      expect(await count(T.attachmentBlobs, { blob_key: key })).to.equal(1);
      const other = await api(staff.counter2, 'POST', `/api/complaints/${id}/attachments/${a.id}/remove`, { json: { reason: '传错了' } });
      expect(other.status).to.equal(403);
      const noReason = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments/${a.id}/remove`, { json: { reason: ' ' } });
      expect(noReason.status).to.equal(400);
      expect(noReason.body.error.fields[0]).to.deep.equal({ field: 'reason', message: '请填写删除原因' });
      const done = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments/${a.id}/remove`, { json: { reason: '传错了照片' } });
      expect(done.status).to.equal(200);
      expect(done.body.attachment.removedReason).to.equal('传错了照片');
      expect(await count(T.attachmentBlobs, { blob_key: key })).to.equal(0);
      expect(await count(T.attachmentBlobs, { blob_key: `${key}.thumb` })).to.equal(0);
      expect((await api(staff.counter, 'GET', `/api/complaints/${id}/attachments/${a.id}/content`)).status).to.equal(404);
      const events = await h.db(T.events).where({ entity_type: 'attachment', entity_id: a.id }).orderBy('id');
      expect(events.map((e) => e.action)).to.deep.equal(['upload', 'remove']);
      const again = await api(staff.counter, 'POST', `/api/complaints/${id}/attachments/${a.id}/remove`, { json: { reason: '再删一次' } });
      expect(again.status).to.equal(404);
    });

    it('an upload from nobody signed in (401) or from another site (403) is refused before it is read; nothing is written', async () => {
      const before = [await count(T.complaints), await count(T.attachments)];
      const body = () => {
        const form = new FormData();
        for (const [k, v] of Object.entries(intakeFields())) form.append(k, v);
        form.append('files', new Blob([new Uint8Array(Buffer.alloc(1024, 1))], { type: 'image/jpeg' }), 'a.jpg');
        return form;
      };
      const anonymous = await fetch(`${h.origin}${h.base}/new`, { method: 'POST', body: body(), headers: { origin: h.origin }, redirect: 'manual' });
      expect(anonymous.status).to.equal(401);
      await counter.get('/new?unit=101');
      const cookie = [...counter.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const form = body();
      form.append('_csrf', counter.csrf());
      const foreign = await fetch(`${h.origin}${h.base}/new`, {
        method: 'POST',
        body: form,
        headers: { cookie, origin: 'https://evil.example' },
        redirect: 'manual',
      });
      expect(foreign.status).to.equal(403);
      expect([await count(T.complaints), await count(T.attachments)]).to.deep.equal(before);
    });

    it('attach joins a caller’s transaction: the note and its photo commit together, or roll back together', async () => {
      const id = await register();
      const photo = [{ field: 'files', fileName: 'trx.jpg', data: await gpsJpeg() }];
      await h.plugin.context.settings.get(); // the complaint service reads settings before it joins the transaction
      const failed = await h.db
        .transaction(async (trx) => {
          await h.plugin.complaints.transition(id, 'note', { version: 1, note: '回滚的进展' }, staff.supervisor, { trx });
          await h.plugin.attachments.attach(id, photo, { step: 'progress' }, staff.supervisor, { trx });
          throw new Error('the host gives up');
        })
        .catch((err: Error) => err.message);
      expect(failed).to.equal('the host gives up');
      expect(await count(T.attachments, { complaint_id: id })).to.equal(0);
      expect(await count(T.events, { complaint_id: id, action: 'note' })).to.equal(0);
      // No bytes were left behind: every stored part belongs to a recorded attachment.
      const keys = new Set(
        (await h.db(T.attachments).select('storage_key')).flatMap((r: { storage_key: string }) => [r.storage_key, `${r.storage_key}.thumb`]),
      );
      const blobKeys = (await h.db(T.attachmentBlobs).distinct('blob_key')).map((r: { blob_key: string }) => r.blob_key);
      expect(blobKeys.filter((k: string) => !keys.has(k))).to.deep.equal([]);
      await h.db.transaction(async (trx) => {
        await h.plugin.complaints.transition(id, 'note', { version: 1, note: '提交的进展' }, staff.supervisor, { trx });
        await h.plugin.attachments.attach(id, photo, { step: 'progress' }, staff.supervisor, { trx });
      });
      expect(await count(T.attachments, { complaint_id: id })).to.equal(1);
      expect(await count(T.events, { complaint_id: id, action: 'note' })).to.equal(1);
    });

    it('the owner’s status page shows a note only when staff marked it owner-visible, and a reply only when it is', async () => {
      const id = await register();
      await h.plugin.complaints.transition(id, 'note', { version: 1, note: '内部：经理手机 13600001111' }, staff.supervisor);
      await h.plugin.complaints.transition(
        id,
        'note',
        { version: 2, note: '师傅周六上门，电话 13912345678', noteVisibility: 'owner_visible' },
        staff.supervisor,
      );
      const token = (await h.plugin.owner.linkFor(id, staff.counter)).token!;
      let s = await h.plugin.owner.status({ kind: 'link', token });
      const steps = s.steps.map((x) => x.text);
      expect(steps).to.include('处理进展：师傅周六上门，电话 139****5678');
      expect(steps.join('|')).not.to.include('经理手机');
      await h.plugin.complaints.transition(
        id,
        'resolve',
        { version: 3, reply: '内部答复', basis: '内部依据', replyVisibility: 'internal', nature: 'help' },
        staff.supervisor,
      );
      s = await h.plugin.owner.status({ kind: 'link', token });
      expect([s.reply, s.basis]).to.deep.equal([null, null]);
    });

    it('the status link lists owner-visible photos and serves them; an internal one, a forged link or another complaint’s file is 404', async () => {
      const id = await register();
      const [shown] = await h.plugin.attachments.attach(
        id,
        [{ field: 'files', fileName: '修好了.jpg', data: await gpsJpeg() }],
        { step: 'reply_after' },
        staff.supervisor,
      );
      const [hidden] = await h.plugin.attachments.attach(
        id,
        [{ field: 'files', fileName: '内部.jpg', data: await gpsJpeg() }],
        { step: 'progress' },
        staff.supervisor,
      );
      const token = (await h.plugin.owner.linkFor(id, staff.counter)).token!;
      const owner = h.client();
      const page = await owner.get(`/s/${token}`);
      expect(page.text).to.include('修好了.jpg').and.include(`${h.base}/s/${token}/files/${shown!.id}/thumb`);
      expect(page.text).not.to.include('内部.jpg');
      const photo = await owner.get(`/s/${token}/files/${shown!.id}`);
      expect(photo.status).to.equal(200);
      expect(photo.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(photo.headers.get('content-security-policy')).to.include('sandbox');
      expect((await owner.get(`/s/${token}/files/${shown!.id}/thumb`)).status).to.equal(200);
      expect((await owner.get(`/s/${token}/files/${hidden!.id}`)).status).to.equal(404);
      const other = await register();
      const otherToken = (await h.plugin.owner.linkFor(other, staff.counter)).token!;
      expect((await owner.get(`/s/${otherToken}/files/${shown!.id}`)).status).to.equal(404);
      const forged = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
      expect((await owner.get(`/s/${forged}/files/${shown!.id}`)).status).to.equal(404);
    });

    it('the owner side adds owner-visible files while the complaint is open, audited under the owner; a closed complaint refuses', async () => {
      const id = await register();
      const added = await h.plugin.attachments.forOwnerAttach(id, [{ field: 'files', fileName: '补充.jpg', data: await gpsJpeg() }], {
        id: 'owner:1',
        name: '业主',
      });
      expect(added.map((a) => [a.step, a.visibility, a.uploadedBy, a.uploadedByName])).to.deep.equal([['owner', 'owner_visible', 'owner:1', '业主']]);
      const event = await h.db(T.events).where({ entity_type: 'attachment', entity_id: added[0]!.id }).first();
      expect([event.action, event.actor_id]).to.deep.equal(['upload', 'owner:1']);
      // The same checks as staff uploads: a disguised file is refused naming it.
      const refused = await h.plugin.attachments
        .forOwnerAttach(id, [{ field: 'photos', fileName: 'x.jpg', data: SVG }], { id: 'owner:1', name: '业主' })
        .catch((e) => e);
      expect((refused as DomainError).fields).to.deep.equal([
        {
          field: 'photos',
          message: {
            'zh-CN': '文件“x.jpg”的内容不是允许的类型（只收 JPEG、PNG、WebP、HEIC、PDF），未上传',
            en: 'File "x.jpg" is not of an accepted type by its content (only JPEG、PNG、WebP、HEIC、PDF); it was not uploaded',
          },
        },
      ]);
      await h.db(T.complaints).where({ id }).update({ state: 'closed' });
      const closed = await h.plugin.attachments
        .forOwnerAttach(id, [{ field: 'files', fileName: 'late.jpg', data: await gpsJpeg() }], { id: 'owner:1', name: '业主' })
        .catch((e) => e);
      expect((closed as DomainError).code).to.equal('complaint_closed');
      expect((closed as DomainError).localized['zh-CN']).to.equal('投诉已结束，不能再补充资料');
      expect(await count(T.attachments, { complaint_id: id })).to.equal(1);
    });

    it('the directory store: bytes on disk, read back, removed from disk; the record says where they are', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cmp-attachments-'));
      try {
        const service = createAttachmentService(h.plugin.context, new DirectoryBlobStore(dir));
        const id = await register();
        const [a] = await service.attach(id, [{ field: 'files', fileName: 'disk.jpg', data: await gpsJpeg() }], { step: 'progress' }, staff.counter);
        expect(a!.storage).to.equal('directory');
        const onDisk = (await readdir(join(dir, a!.storageKey.slice(0, 2)))).sort();
        expect(onDisk).to.deep.equal([a!.storageKey, `${a!.storageKey}.thumb`]);
        expect(await count(T.attachmentBlobs, { blob_key: a!.storageKey })).to.equal(0);
        const read = await service.read(id, a!.id, 'original', staff.counter);
        expect(read.data.includes('WGS-84')).to.equal(false);
        expect((await sharp(read.data).metadata()).width).to.equal(640);
        // Scoped like the database store.
        const outside = await service.read(id, a!.id, 'original', staff.scoped2).catch((err: DomainError) => err);
        expect((outside as DomainError).status).to.equal(404);
        // The database-backed service of the plugin cannot read what the directory holds, and says so.
        const mismatch = await h.plugin.attachments.read(id, a!.id, 'original', staff.counter).catch((err: DomainError) => err);
        expect((mismatch as DomainError).code).to.equal('attachment_store_mismatch');
        await service.remove(id, a!.id, '测试删除', staff.counter);
        expect(await readdir(join(dir, a!.storageKey.slice(0, 2)))).to.deep.equal([]);
        // A refused upload leaves nothing on disk.
        const refused = await service.attach(id, [{ field: 'files', fileName: 'x.jpg', data: HTML }], { step: 'progress' }, staff.counter).catch((e) => e);
        expect((refused as DomainError).code).to.equal('validation_failed');
        expect(await readdir(join(dir, a!.storageKey.slice(0, 2)))).to.deep.equal([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
