// One ajv instance for every schema in the plugin, with field-level messages in zh-CN and en
// (ajv-i18n translates ajv's own messages, so we do not hand-write them).
import { Ajv, type ErrorObject, type JSONSchemaType, type Schema, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import type { Localize } from 'ajv-i18n/localize/types.js';
import { ValidationError, type FieldError } from './errors.js';

const require = createRequire(import.meta.url);
const addFormats: (ajv: Ajv, options?: { mode?: 'fast' | 'full'; formats?: string[] }) => Ajv = require('ajv-formats');
const localizeZh: Localize = require('ajv-i18n/localize/zh');
const localizeEn: Localize = require('ajv-i18n/localize/en');

export const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false, allowUnionTypes: true });
addFormats(ajv, { mode: 'fast', formats: ['date', 'date-time', 'uri', 'email'] });
// Fast mode checks dates by shape only ("2026-19-39" passes), which let impossible dates reach the
// database (a 500 on MariaDB) or roll over silently ("2026-02-30" → 2 March). Dates are cheap to check
// exactly, so these two use the full validators.
const { fullFormats } = require('ajv-formats/dist/formats') as { fullFormats: Record<'date' | 'date-time', Parameters<Ajv['addFormat']>[1]> };
ajv.addFormat('date', fullFormats.date);
ajv.addFormat('date-time', fullFormats['date-time']);

function fieldPath(error: ErrorObject): string {
  const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (error.params as { missingProperty?: string }).missingProperty ?? (error.params as { additionalProperty?: string }).additionalProperty;
  if (extra) return base ? `${base}.${extra}` : extra;
  return base || '(root)';
}

export function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  const zh = structuredClone(errors);
  const en = structuredClone(errors);
  localizeZh(zh);
  localizeEn(en);
  const seen = new Set<string>();
  const out: FieldError[] = [];
  errors.forEach((error, i) => {
    // oneOf/anyOf repeat themselves; keep one message per field and keyword.
    const field = fieldPath(error);
    const key = `${field}|${error.keyword}`;
    if (seen.has(key) || error.keyword === 'if') return;
    seen.add(key);
    const suffix = error.keyword === 'additionalProperties' ? { zh: '（不允许的字段）', en: ' (field not allowed)' } : { zh: '', en: '' };
    out.push({ field, message: { 'zh-CN': `${zh[i]!.message ?? ''}${suffix.zh}`, en: `${en[i]!.message ?? ''}${suffix.en}` } });
  });
  return out;
}

export type Validator<T> = (data: unknown) => T;

/** Compiles a schema once; the returned function returns the typed value or throws ValidationError. */
export function compileValidator<T>(schema: Schema | JSONSchemaType<T>): Validator<T> {
  const validate: ValidateFunction = ajv.compile(schema as Schema);
  return (data: unknown): T => {
    if (validate(data)) return data as T;
    throw new ValidationError(toFieldErrors(validate.errors ?? []));
  };
}
