import * as c from './src/complaints/schemas.js';
import * as o from './src/offsets/schemas.js';
import * as comp from './src/compensations/schemas.js';
import * as u from './src/units/schemas.js';
import { loadManifest } from './src/manifest/manifest.js';
const names = new Map<string, Set<string>>();
function walk(s: any, where: string) {
  if (!s || typeof s !== 'object') return;
  if (s.properties) for (const [k, v] of Object.entries(s.properties)) { (names.get(k) ?? names.set(k, new Set()).get(k)!).add(where); walk(v, where); }
  if (s.items) walk(s.items, where);
  for (const k of ['anyOf', 'oneOf', 'allOf']) if (s[k]) for (const x of s[k]) walk(x, where);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, where);
}
for (const [m, mod] of Object.entries({ c, o, comp, u })) for (const [k, v] of Object.entries(mod as any)) if (/Schema|Schemas$/.test(k) && typeof v === 'object') { if (k === 'transitionSchemas') for (const [a, s] of Object.entries(v as any)) walk(s, a); else walk(v, k); }
walk(loadManifest().settingsSchema, 'settings');
for (const [k, v] of [...names].sort()) console.log(k, [...v].join(','));
