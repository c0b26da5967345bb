// multipart/form-data for the forms and the JSON API that carry files, with busboy (the streaming parser
// under multer). busboy rather than multer/@koa/multer: at a file's size limit it truncates that file and
// reads on, and past the file-count limit it goes on reading fields, so a refused file never costs the
// rest of the form: every typed field comes back and the file is named in its error. (multer aborts the
// whole request at the first limit.) Files beyond the per-step limit are drained unread, kept only by
// name so the message can list them; the request as a whole is capped.
import busboy from 'busboy';
import type { Context } from 'koa';
import { DomainError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import type { IncomingFile } from '../attachments/types.js';

export interface MultipartLimits {
  /** Per file: a larger one is truncated and flagged (the domain refuses it, naming it). */
  maxBytes: number;
  /** Files kept per request; more are drained and listed by name only. */
  maxFiles: number;
}

export interface ParsedMultipart {
  fields: URLSearchParams;
  files: IncomingFile[];
}

const FIELD_BYTES = 64 * 1024;
/** Beyond this many file parts the parser stops even naming them. */
const EXTRA_FILES = 50;

export function isMultipart(ctx: Context): boolean {
  return !!ctx.is('multipart/form-data');
}

function tooLarge(): DomainError {
  return new DomainError('payload_too_large', 413, msg('上传内容过大，未做任何修改', 'The upload is too large; nothing was changed'));
}

/** Reads the whole multipart body of the request (fields in order, files in memory up to the limits). */
export function parseMultipart(ctx: Context, limits: MultipartLimits): Promise<ParsedMultipart> {
  // The whole request: every kept file at its limit, plus room for the fields and the drained extras' headers.
  const maxTotal = limits.maxFiles * (limits.maxBytes + 1) + 2 * 1024 * 1024;
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > maxTotal) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: ctx.req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: limits.maxBytes, files: limits.maxFiles + EXTRA_FILES, fields: 200, fieldSize: FIELD_BYTES, parts: 300 },
      });
    } catch {
      reject(new DomainError('bad_multipart', 400, msg('无法读取上传的表单', 'The uploaded form could not be read')));
      return;
    }
    const fields = new URLSearchParams();
    const files: IncomingFile[] = [];
    // Bytes per kept file, joined when the whole body has been read.
    const bodies = new Map<IncomingFile, Buffer[]>();
    let kept = 0;
    let failed = false;
    let received = 0;
    const fail = (err: DomainError) => {
      if (failed) return;
      failed = true;
      ctx.req.unpipe(bb);
      ctx.req.resume();
      reject(err);
    };
    ctx.req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxTotal) fail(tooLarge());
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new DomainError('field_too_large', 413, msg(`字段 ${name} 过长`, `Field ${name} is too long`)));
      fields.append(name, value);
    });
    bb.on('file', (field, stream, info) => {
      const fileName = info.filename ?? '';
      // An empty file input still sends a part: no name, no bytes.
      if (!fileName) {
        stream.resume();
        return;
      }
      if (kept >= limits.maxFiles) {
        // Named in the "too many files" message; never read.
        files.push({ field, fileName, data: Buffer.alloc(0) });
        stream.resume();
        return;
      }
      kept++;
      const chunks: Buffer[] = [];
      const entry: IncomingFile = { field, fileName, data: Buffer.alloc(0) };
      files.push(entry);
      bodies.set(entry, chunks);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        entry.truncated = true;
      });
    });
    bb.on('fieldsLimit', () => fail(new DomainError('too_many_fields', 413, msg('表单字段过多', 'Too many form fields'))));
    bb.on('partsLimit', () => fail(new DomainError('too_many_parts', 413, msg('表单内容过多', 'Too many form parts'))));
    bb.on('error', () => fail(new DomainError('bad_multipart', 400, msg('无法读取上传的表单', 'The uploaded form could not be read'))));
    bb.on('close', () => {
      if (failed) return;
      for (const [entry, chunks] of bodies) entry.data = Buffer.concat(chunks);
      resolve({ fields, files });
    });
    ctx.req.pipe(bb);
  });
}
