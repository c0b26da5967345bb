// The attachment content rules without a database: the type from the bytes, display names, the
// Content-Disposition header, and what prepareFiles makes of each kind of file (re-encoded upright without
// metadata, thumbnails, refusals that name the file).
import { expect } from 'chai';
import sharp from 'sharp';
import { cleanFileName, detectKind, prepareFiles, type AttachmentLimits } from '../../src/attachments/content.js';
import { contentDisposition } from '../../src/http/attachmentResponse.js';

const LIMITS: AttachmentLimits = { maxBytes: 1024 * 1024, maxFiles: 3, kinds: ['jpeg', 'png', 'webp', 'heic', 'pdf'] };
const zh = (e: { message: { 'zh-CN': string } }) => e.message['zh-CN'];

describe('attachments: content', () => {
  it('tells the kind from the bytes, never from a name', async () => {
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .jpeg()
      .toBuffer();
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .webp()
      .toBuffer();
    expect((await detectKind(jpeg)).kind).to.equal('jpeg');
    expect((await detectKind(webp)).kind).to.equal('webp');
    expect((await detectKind(Buffer.from('%PDF-1.7\n%%EOF'))).kind).to.equal('pdf');
    expect(await detectKind(Buffer.from('<html><script>1</script></html>'))).to.deep.equal({ kind: null, found: null });
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
    expect(await detectKind(gif)).to.deep.equal({ kind: null, found: 'gif (image/gif)' });
  });

  it('cleans display names: no folders, no control or reserved characters, the real extension', () => {
    expect(cleanFileName('../../etc/passwd.jpg', 'png')).to.equal('passwd.png');
    expect(cleanFileName('C:\\Users\\王\\a"b<c>|d.JPG', 'jpg')).to.equal('abcd.jpg');
    expect(cleanFileName('\u0000\u001b', 'pdf')).to.equal('file.pdf');
    expect(cleanFileName('漏水 现场', 'jpg')).to.equal('漏水 现场.jpg');
  });

  it('names the file in Content-Disposition in ASCII and in UTF-8', () => {
    expect(contentDisposition('inline', '现场 1.jpg')).to.equal(`inline; filename="__ 1.jpg"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.jpg`);
    expect(contentDisposition('attachment', 'a"b\\c.pdf')).to.equal(`attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`);
  });

  it('turns a photo upright by its EXIF orientation and stores it without the EXIF', async () => {
    // 40×20 pixels, marked "rotate 90° clockwise to view" (orientation 6): stored as 20×40, orientation gone.
    const sideways = await sharp({ create: { width: 40, height: 20, channels: 3, background: 'blue' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(sideways).metadata()).orientation).to.equal(6);
    const { prepared, errors } = await prepareFiles([{ field: 'files', fileName: 'side.jpeg', data: sideways }], LIMITS);
    expect(errors).to.deep.equal([]);
    const meta = await sharp(prepared[0]!.data).metadata();
    expect([meta.width, meta.height, meta.orientation, meta.exif]).to.deep.equal([20, 40, undefined, undefined]);
    expect([prepared[0]!.width, prepared[0]!.height, prepared[0]!.fileName, prepared[0]!.processing]).to.deep.equal([20, 40, 'side.jpg', 'reencoded']);
  });

  it('keeps WebP as WebP with a JPEG thumbnail, and refuses empty, truncated, damaged and excess files by name', async () => {
    const webp = await sharp({ create: { width: 1000, height: 500, channels: 3, background: 'green' } })
      .webp()
      .toBuffer();
    const damaged = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
    const { prepared, errors } = await prepareFiles(
      [
        { field: 'files', fileName: 'ok.webp', data: webp },
        { field: 'files', fileName: 'empty.jpg', data: Buffer.alloc(0) },
        { field: 'files', fileName: 'cut.jpg', data: webp, truncated: true },
        { field: 'files', fileName: 'fourth.jpg', data: webp },
        { field: 'files', fileName: 'fifth.jpg', data: webp },
      ],
      LIMITS,
    );
    expect(prepared.map((p) => [p.fileName, p.mime])).to.deep.equal([['ok.webp', 'image/webp']]);
    const thumb = await sharp(prepared[0]!.thumbnail!).metadata();
    expect([thumb.format, thumb.width, thumb.height]).to.deep.equal(['jpeg', 320, 160]);
    expect(errors.map(zh)).to.deep.equal([
      '每一步最多上传 3 个文件；多出的 “fourth.jpg”、“fifth.jpg” 未上传',
      '文件“empty.jpg”是空的，未上传',
      '文件“cut.jpg”超过 1 MB，未上传',
    ]);
    const bad = await prepareFiles([{ field: 'photos', fileName: 'broken.jpg', data: damaged }], LIMITS);
    expect(bad.errors.map((e) => [e.field, zh(e)])).to.deep.equal([['photos', '文件“broken.jpg”不是可读取的图片（可能已损坏），未上传']]);
  });

  it('refuses a kind the settings leave out', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .png()
      .toBuffer();
    const { errors } = await prepareFiles([{ field: 'files', fileName: 'a.png', data: png }], { ...LIMITS, kinds: ['jpeg', 'pdf'] });
    expect(errors.map(zh)).to.deep.equal(['文件“a.png”的内容不是允许的类型（只收 JPEG、PDF，实际为 png (image/png)），未上传']);
  });
});
