// Sentences more than one module says (every API that takes an idempotency key checks it the same way).
import { fieldError, type FieldError } from './errors.js';

export const idempotencyKeyInvalid = (): FieldError =>
  fieldError('Idempotency-Key', '幂等键须为 1–100 个可见 ASCII 字符', 'The idempotency key must be 1–100 visible ASCII characters');
export const idempotencyKeysDisagree = (): FieldError =>
  fieldError('idempotencyKey', '请求头与请求体中的幂等键不一致', 'The Idempotency-Key header and the body disagree');
