// Our host-id columns copy the host key's charset, often utf8mb3 on MySQL. A value with a character
// outside the BMP cannot be converted to it ("Illegal mix of collations"), and host ids never contain
// one, so such a value is treated as matching nothing instead of being sent to the database.
const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;

export function isMatchableHostId(value: string): boolean {
  return !ASTRAL.test(value);
}
