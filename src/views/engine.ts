// Server-side rendering with an isolated Handlebars instance: templates, partials and static assets are
// read and compiled once at start (no file reads per request), with preventIndent. Helpers return plain
// strings (Handlebars escapes them) or SafeString only for markup they build from escaped parts; no user
// data ever goes through triple-stash (the layout's {{{body}}} is the page, rendered and escaped already).
import Handlebars from 'handlebars';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join, basename, extname } from 'node:path';
import type { Locale } from '../common/localized.js';
import { translate, isMessageKey } from '../i18n/index.js';
import { formatYuan } from '../common/money.js';
import { formatDateTime, formatDate } from './format.js';

/** views/ sits two levels above this file both in src/views and dist/src/views (copied by the build). */
export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
const SOURCE_VIEWS_DIR = fileURLToPath(new URL('../../../views/', import.meta.url));

function viewsDir(): string {
  return existsSync(join(VIEWS_DIR, 'layouts')) ? VIEWS_DIR : SOURCE_VIEWS_DIR;
}

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Short content hash, appended to asset URLs so they can be cached for a long time. */
  version: string;
}

export interface ViewEngine {
  render(page: string, data: Record<string, unknown> & { locale: Locale }): string;
  has(page: string): boolean;
  asset(name: string): Asset | undefined;
  /** name → version, for the layout's asset URLs. */
  assetVersions: Record<string, string>;
}

/** Only http(s) URLs and same-site relative paths may go into an href/src; anything else becomes '#'. */
export function safeUrl(value: unknown): string {
  if (typeof value !== 'string') return '#';
  const url = value.trim();
  // Browsers drop tabs and newlines inside URLs ("java\nscript:"), and treat "\" like "/".
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(url)) return '#';
  if (/^https?:\/\/[^/]/i.test(url)) return url;
  if (url.startsWith('//')) return '#';
  // A scheme is letters followed by ':' before any '/', '?' or '#'; relative URLs have none.
  const beforePath = url.split(/[/?#]/, 1)[0] ?? '';
  if (beforePath.includes(':')) return '#';
  return url;
}

function interpolate(text: string, params: Record<string, unknown>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name] ?? '') : whole));
}

function rootOf(options: Handlebars.HelperOptions): Record<string, unknown> & { locale: Locale } {
  return options.data.root as Record<string, unknown> & { locale: Locale };
}

const ASSET_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

const engines = new Map<string, ViewEngine>();

/**
 * The engine for a views directory, compiled once per process (compiling the pages takes a few hundred
 * milliseconds; every plugin instance in the process shares the result).
 */
export function createViewEngine(dir = viewsDir()): ViewEngine {
  let engine = engines.get(dir);
  if (!engine) {
    engine = compileViews(dir);
    engines.set(dir, engine);
  }
  return engine;
}

function compileViews(dir: string): ViewEngine {
  const hbs = Handlebars.create();
  hbs.registerHelper('t', function (key: string, options: Handlebars.HelperOptions) {
    const locale = rootOf(options).locale;
    const text = isMessageKey(key) ? translate(locale, key) : key;
    return options.hash && Object.keys(options.hash).length ? interpolate(text, options.hash as Record<string, unknown>) : text;
  });
  /** Picks the reader's language from a Localized value ({'zh-CN','en'}). */
  hbs.registerHelper('l', function (value: Record<string, string> | null | undefined, options: Handlebars.HelperOptions) {
    const locale = rootOf(options).locale;
    return value ? (value[locale] ?? value['zh-CN'] ?? '') : '';
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b || (a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b)));
  hbs.registerHelper('ne', (a: unknown, b: unknown) => !(a === b || (a != null && b != null && String(a) === String(b))));
  hbs.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('not', (a: unknown) => !a);
  hbs.registerHelper('concat', (...args: unknown[]) =>
    args
      .slice(0, -1)
      .map((a) => String(a ?? ''))
      .join(''),
  );
  hbs.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.some((v) => String(v) === String(value)));
  // Grouped like people read money ("1,234.50", after a ¥ in the template); parseYuan reads it back.
  hbs.registerHelper('yuan', (fen: unknown) => (typeof fen === 'number' && Number.isSafeInteger(fen) ? formatYuan(fen).replace('¥', '') : ''));
  hbs.registerHelper('dt', function (value: unknown, options: Handlebars.HelperOptions) {
    return formatDateTime(value, (rootOf(options).timezone as string | undefined) ?? 'Asia/Shanghai');
  });
  hbs.registerHelper('date', function (value: unknown, options: Handlebars.HelperOptions) {
    return formatDate(value, (rootOf(options).timezone as string | undefined) ?? 'Asia/Shanghai');
  });
  hbs.registerHelper('safeUrl', (value: unknown) => safeUrl(value));
  /** A value for a URL query or path segment (then HTML-escaped like any output). */
  hbs.registerHelper('enc', (value: unknown) => encodeURIComponent(value === null || value === undefined ? '' : String(value)));
  /** The message for one form field, from the page's `errors` (field → message). */
  hbs.registerHelper('err', function (field: string, options: Handlebars.HelperOptions) {
    const errors = rootOf(options).errors as Record<string, string> | undefined;
    return errors?.[field] ?? '';
  });
  /** aria attributes for a field with an error; the id is built from the (template-constant) field name, escaped. */
  hbs.registerHelper('invalid', function (field: string, options: Handlebars.HelperOptions) {
    const errors = rootOf(options).errors as Record<string, string> | undefined;
    if (!errors?.[field]) return '';
    const id = hbs.escapeExpression(`err-${field}`);
    return new hbs.SafeString(` aria-invalid="true" aria-describedby="${id}"`);
  });
  /** A URL for the current list with some query parameters replaced: {{listUrl page=2}}. */
  hbs.registerHelper('listUrl', function (options: Handlebars.HelperOptions) {
    const root = rootOf(options);
    const query = new URLSearchParams((root.listQuery as Array<[string, string]> | undefined) ?? []);
    for (const [k, v] of Object.entries(options.hash as Record<string, unknown>)) {
      if (v === null || v === undefined || v === '') query.delete(k);
      else query.set(k, String(v));
    }
    const qs = query.toString();
    return `${String(root.listPath ?? '')}${qs ? `?${qs}` : ''}`;
  });
  hbs.registerHelper('asset', function (name: string, options: Handlebars.HelperOptions) {
    const root = rootOf(options);
    return `${String(root.base ?? '')}/assets/${name}?v=${assetVersions[name] ?? '0'}`;
  });

  const compileOptions = { preventIndent: true, strict: false };
  const partialsDir = join(dir, 'partials');
  if (existsSync(partialsDir)) {
    for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
      hbs.registerPartial(basename(file, '.hbs'), hbs.compile(readFileSync(join(partialsDir, file), 'utf8'), compileOptions));
    }
  }
  const layout = hbs.compile(readFileSync(join(dir, 'layouts', 'main.hbs'), 'utf8'), compileOptions);
  // Other layouts (the owner's phone pages: owner.hbs) are chosen by a page's `layout` data.
  const layouts = new Map<string, Handlebars.TemplateDelegate>([['main', layout]]);
  for (const file of readdirSync(join(dir, 'layouts')).filter((f) => f.endsWith('.hbs') && f !== 'main.hbs')) {
    layouts.set(basename(file, '.hbs'), hbs.compile(readFileSync(join(dir, 'layouts', file), 'utf8'), compileOptions));
  }
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of readdirSync(join(dir, 'pages')).filter((f) => f.endsWith('.hbs'))) {
    pages.set(basename(file, '.hbs'), hbs.compile(readFileSync(join(dir, 'pages', file), 'utf8'), compileOptions));
  }
  const assets = new Map<string, Asset>();
  const assetVersions: Record<string, string> = {};
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const file of readdirSync(assetsDir)) {
      const type = ASSET_TYPES[extname(file)];
      if (!type) continue;
      const body = readFileSync(join(assetsDir, file));
      const hash = createHash('sha256').update(body).digest('base64url');
      const version = hash.slice(0, 10);
      assets.set(file, { body, type, etag: `"${hash.slice(0, 27)}"`, version });
      assetVersions[file] = version;
    }
  }
  // Compile lazily-compiled templates now, so the first request does not pay for it.
  for (const template of [...layouts.values(), ...pages.values()]) {
    try {
      template({ locale: 'zh-CN' });
    } catch {
      // Rendering with no data may fail in a helper; compilation has happened by then.
    }
  }
  return {
    render(page, data) {
      const template = pages.get(page);
      if (!template) throw new Error(`No view named ${page}`);
      const chosen = typeof data.layout === 'string' ? layouts.get(data.layout) : undefined;
      return (chosen ?? layout)({ ...data, body: template(data) });
    },
    has: (page) => pages.has(page),
    asset: (name) => assets.get(name),
    assetVersions,
  };
}
