// One ajv instance for every schema in the plugin, with field-level messages in zh-CN and en from one
// catalog (fieldMessages.ts). Verbose, so a message can tell an empty field ("请填写…") from a wrong one.
import { Ajv, type ErrorObject, type JSONSchemaType, type Schema, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { ValidationError, type FieldError } from './errors.js';
import { describeError, type FieldContext } from './fieldMessages.js';

const require = createRequire(import.meta.url);
const addFormats: (ajv: Ajv, options?: { mode?: 'fast' | 'full'; formats?: string[] }) => Ajv = require('ajv-formats');

export const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false, verbose: true, allowUnionTypes: true });
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

/**
 * ajv's errors as field errors in people's words (src/common/fieldMessages.ts words every one): one
 * message per field, the first ajv reports (the inner reason of an anyOf comes before the anyOf itself).
 */
export function toFieldErrors(errors: ErrorObject[], context?: FieldContext): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = fieldPath(error);
    if (seen.has(field) || error.keyword === 'if') continue;
    seen.add(field);
    out.push({ field, message: describeError(error, field, context) });
  }
  return out;
}

export type Validator<T> = (data: unknown) => T;

/** Compiles a schema once; the returned function returns the typed value or throws ValidationError. */
export function compileValidator<T>(schema: Schema | JSONSchemaType<T>, context?: FieldContext): Validator<T> {
  const validate: ValidateFunction = ajv.compile(schema as Schema);
  return (data: unknown): T => {
    if (validate(data)) return data as T;
    throw new ValidationError(toFieldErrors(validate.errors ?? [], context));
  };
}
