// Reading HTML form posts without a general-purpose body parser: application/x-www-form-urlencoded only,
// a size limit, and a flat name → values map (no nested objects from "a[b]" or "a.b", so no surprises
// such as prototype keys). Field errors from the domain become a field → message map for the templates.
import type { Context, Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import { DomainError, type ValidationError, type FieldError } from '../common/errors.js';
import type { Locale } from '../common/localized.js';
import type { IncomingFile } from '../attachments/types.js';
import { isMultipart, parseMultipart, type MultipartLimits } from '../http/multipart.js';

/**
 * High enough that any text a person pastes reaches the form's own checks and comes back with a field
 * error and the text kept (10,000 Chinese characters are ~90 KB URL-encoded); only what no form field
 * could hold is refused outright (413).
 */
export const FORM_LIMIT_BYTES = 1024 * 1024;

export class FormData {
  constructor(private readonly params: URLSearchParams) {}

  /** The first value of a field, or '' when absent. */
  get(name: string): string {
    return this.params.get(name) ?? '';
  }

  /** The first value trimmed; undefined when blank (so optional fields stay out of the command). */
  optional(name: string): string | undefined {
    const v = this.get(name).trim();
    return v === '' ? undefined : v;
  }

  all(name: string): string[] {
    return this.params.getAll(name);
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  /** A checkbox: present with any value other than '0'/'false'. */
  checked(name: string): boolean {
    const v = this.params.get(name);
    return v !== null && v !== '0' && v !== 'false';
  }

  /** The values a template needs to redisplay the form (first value of each field; the CSRF token left out). */
  values(): Record<string, string> {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of this.params) if (k !== '_csrf' && !(k in out)) out[k] = v;
    return out;
  }

  names(): string[] {
    return [...new Set(this.params.keys())];
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw new HttpError(413, 'Form too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new HttpError(413, 'Form too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses the posted form into ctx.state.form (FormData) and ctx.request.body (first values, for the CSRF check). */
export function formBody(limit = FORM_LIMIT_BYTES): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return next();
    // Pages accept HTML forms only, whatever a body parser in front of us may have made of other types.
    if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'Only HTML forms are accepted here');
    const existing = (ctx.request as { body?: unknown }).body;
    const rawBody = (ctx.request as { rawBody?: unknown }).rawBody;
    let params: URLSearchParams;
    if (typeof rawBody === 'string') {
      // A body parser in front of us (the host's, or @koa/bodyparser) kept the raw text: read it flat.
      if (Buffer.byteLength(rawBody) > limit) throw new HttpError(413, 'Form too large');
      params = new URLSearchParams(rawBody);
    } else if (existing && typeof existing === 'object' && !Buffer.isBuffer(existing) && (Object.keys(existing).length > 0 || ctx.req.readableEnded)) {
      // A host that already parsed the form without keeping the raw text.
      params = new URLSearchParams();
      for (const [k, v] of Object.entries(existing as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string' || typeof item === 'number') params.append(k, String(item));
      }
    } else {
      params = new URLSearchParams(await readBody(ctx, limit));
    }
    const form = new FormData(params);
    ctx.state.form = form;
    (ctx.request as { body?: unknown }).body = form.values();
    const token = params.get('_csrf');
    if (token !== null) (ctx.request as { body: Record<string, string> }).body._csrf = token;
    await next();
  };
}

/**
 * For the forms that carry files: multipart/form-data through the multipart parser (limits from
 * settings), any other post as formBody. The files land in ctx.state.uploads; the fields read exactly as
 * an urlencoded form's, so a handler needs no second path.
 */
export function formBodyWithFiles(limits: () => Promise<MultipartLimits>, limit = FORM_LIMIT_BYTES): Middleware {
  const plain = formBody(limit);
  return async (ctx, next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || !isMultipart(ctx)) {
      ctx.state.uploads = [];
      return plain(ctx, next);
    }
    const { fields, files } = await parseMultipart(ctx, await limits());
    const form = new FormData(fields);
    ctx.state.form = form;
    ctx.state.uploads = files;
    (ctx.request as { body?: unknown }).body = form.values();
    const token = fields.get('_csrf');
    if (token !== null) (ctx.request as { body: Record<string, string> }).body._csrf = token;
    await next();
  };
}

/** The files posted with the form (none for an urlencoded post), optionally only those of one field. */
export function uploadsOf(ctx: Context, field?: string): IncomingFile[] {
  const files = (ctx.state.uploads as IncomingFile[] | undefined) ?? [];
  return field ? files.filter((f) => f.field === field) : files;
}

export function formOf(ctx: Context): FormData {
  const form = ctx.state.form as FormData | undefined;
  if (!form) throw new Error('formBody middleware did not run');
  return form;
}

/** field → message in the reader's language (the first message per field). */
export function fieldMessages(fields: FieldError[], locale: Locale): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const key = f.field.split('.')[0] ?? f.field;
    if (!(key in out)) out[key] = f.message[locale];
  }
  return out;
}

export function isValidationError(err: unknown): err is ValidationError {
  return err instanceof DomainError && err.status === 400 && err.code === 'validation_failed';
}

/** A fresh idempotency key for a form: a double-clicked or re-sent submit carries the same key. */
export function newFormKey(): string {
  return randomUUID();
}

/** A key posted back by our own form, or a new one if it is missing or not of our shape. */
export function formKey(value: string | undefined): string | undefined {
  return value && /^[0-9a-f-]{36}$/.test(value) ? value : undefined;
}

/** Only a path inside the plugin may be a redirect target after sign-in (no open redirects). */
export function safeNext(value: unknown, base: string): string {
  const fallback = `${base}/`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (typeof value !== 'string' || !value.startsWith(`${base}/`) || value.startsWith('//') || /[\\\u0000-\u001f]/.test(value)) return fallback;
  return value;
}

/** Parses a positive integer route/query parameter; null when it is not one. */
export function positiveInt(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value)) return null;
  const n = Number(value);
  return n <= 2147483647 ? n : null;
}

/**
 * For a command whose service takes no idempotency key (the offset request form used this until the
 * offsets service took the form's key, as intake does): the first submit of a
 * form key runs, a second submit of the same key (double click, re-send after a slow answer) waits for
 * the first and gets the same redirect instead of making a second record. Kept in this process's memory
 * for ten minutes; a failed run forgets its key so the corrected form can be sent again.
 */
export class FormReplay {
  private readonly entries = new Map<string, { at: number; result: Promise<string> }>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 10_000,
  ) {}

  async once(key: string, run: () => Promise<string>): Promise<string> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.result;
    if (this.entries.size >= this.max) {
      for (const [k, v] of this.entries) if (now - v.at >= this.ttlMs || this.entries.size >= this.max) this.entries.delete(k);
    }
    const result = run();
    this.entries.set(key, { at: now, result });
    result.catch(() => this.entries.delete(key));
    return result;
  }
}
