// Query strings arrive as text (or arrays of text when a key repeats). This turns them into the types a
// JSON Schema declares — integers, booleans, arrays (repeated keys or comma lists) — so the same schema
// validates them and documents them in OpenAPI. Anything it cannot convert is left for ajv to refuse.
type PropertySchema = { type?: string | string[] };

function coerceOne(type: string | undefined, value: string): unknown {
  if (type === 'integer' && /^-?\d{1,15}$/.test(value)) return Number(value);
  if (type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === '1')) return true;
  if (type === 'boolean' && (value === 'false' || value === '0')) return false;
  return value;
}

export function coerceQuery(schema: { properties?: Record<string, unknown> }, query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, PropertySchema & { items?: PropertySchema }>;
  const out: Array<[string, unknown]> = [];
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined || raw === '') continue;
    const prop = Object.hasOwn(props, key) ? props[key] : undefined;
    if (prop?.type === 'array') {
      const parts = (Array.isArray(raw) ? raw : [raw])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean);
      out.push([key, parts.map((v) => coerceOne(prop.items?.type as string | undefined, v))]);
    } else {
      // A repeated scalar stays an array, which the schema then refuses with a field message.
      out.push([key, Array.isArray(raw) ? raw : coerceOne(prop?.type as string | undefined, raw)]);
    }
  }
  // Own properties for every name, "__proto__" included (an assignment would set the prototype and the
  // parameter would vanish instead of being refused as unknown).
  return Object.fromEntries(out);
}
