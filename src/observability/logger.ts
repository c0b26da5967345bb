// Structured JSON logs (pino). One logger per plugin (made by the factory, or passed in by the host) or
// per `complaints serve` process. The lines written about a request (its answer, an unexpected error, a
// page error) carry its request id, passed by the middleware that writes them: not AsyncLocalStorage,
// whose promise hooks on Node 20 cost every promise of every request (issue 20 profile). What must
// never reach a log: secrets (tokens, signatures, cookies, the webhook and metrics secrets) and phone
// numbers in full; pino's redact removes the known places, a masking pass catches the rest anywhere.
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskMobile } from '../privacy/mask.js';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

/** Keys whose values are secret wherever they appear in a log line. */
const SECRET_KEY = /secret|password|passwd|token|api_?key|credential|private_?key|signature|cookie|authorization|x-complaints-user/i;

/** Keys whose values are contact numbers in whatever shape (a landline, spaces): masked whole. */
const CONTACT_KEY = /phone|mobile/i;

/** A mainland mobile number (optionally +86), not part of a longer run of digits. */
const MOBILE = /(?<!\d)(?:(?:\+|00)?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)/g;
/** A signed token (base64url.base64url, as our user tokens) or a hex HMAC: long enough to be a credential. */
const TOKEN_LIKE = /\b[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b|\b(?:sha256=)?[0-9a-f]{64}\b/g;

/** 13812341234 → 138****1234; a token or signature inside free text → [redacted]. */
export function maskText(text: string): string {
  return text.replace(TOKEN_LIKE, REDACTED).replace(MOBILE, (_m, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

/** A copy of a value safe to log: secret-named keys redacted, strings masked, errors serialized first. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[deep]';
  if (value instanceof Error) return maskValue(stdSerializers.err(value), depth + 1);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && v !== null && v !== undefined && v !== ''
        ? REDACTED
        : CONTACT_KEY.test(key) && typeof v === 'string'
          ? maskMobile(v)
          : maskValue(v, depth + 1);
  }
  return out;
}

/** The places a secret is known to travel; redacted by pino before anything else sees them. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-complaints-user"]',
  'req.headers["x-complaints-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-complaints-user"]',
  'headers["x-complaints-signature"]',
  'token',
  'secret',
  'webhookSecret',
  'metricsToken',
  '*.token',
  '*.secret',
  '*.webhookSecret',
  '*.metricsToken',
  '*.password',
];

export interface LoggerSettings {
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level?: string;
  /** Where lines go (default stdout); tests pass a stream they read. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. { instance }). */
  base?: Record<string, unknown>;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level || process.env.COMPLAINTS_LOG_LEVEL || 'info',
    base: { name: 'complaints', pid: process.pid, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: {
      level: (label) => ({ level: label }),
      // Every field of every line goes through the mask (pino's serializers run after this).
      log: (object) => maskValue(object) as Record<string, unknown>,
    },
    serializers: { err: (err: unknown) => (err instanceof Error ? maskValue(stdSerializers.err(err)) : err) },
    hooks: {
      // The message itself may quote input (a phone number typed in a search box).
      logMethod(args, method) {
        // pino takes the message of a bare Error as the line's message: give it the masked one.
        const first = args[0] as unknown;
        const given = first instanceof Error ? [{ err: first }, ...(args.length > 1 ? args.slice(1) : [first.message])] : args;
        method.apply(this, given.map((a) => (typeof a === 'string' ? maskText(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
