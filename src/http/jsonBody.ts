// What the JSON API accepts as a request body: JSON, and (once parsed) a JSON object. The body parser
// ignores other content types and leaves an empty body, which for a command whose fields are all optional
// (approving an offset) meant "do it with the defaults": a text/plain or form post, or a JSON array,
// approved the offset. Those are refused here before any route runs.
import type { Middleware } from 'koa';
import { DomainError, ValidationError, fieldError } from '../common/errors.js';
import { msg } from '../common/localized.js';

function hasBody(ctx: Parameters<Middleware>[0]): boolean {
  const length = ctx.get('content-length');
  return (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
}

/** 415 for a request body that is not JSON. Runs before the body parser. */
export function requireJsonContent(): Middleware {
  return async (ctx, next) => {
    if (hasBody(ctx) && !ctx.is('application/json', '+json')) {
      throw new DomainError(
        'unsupported_media_type',
        415,
        msg('请求内容须为 JSON（Content-Type: application/json）', 'The request body must be JSON (Content-Type: application/json)'),
      );
    }
    await next();
  };
}

/** 400 for a parsed JSON body that is not an object (an array, a string, a number). Runs after the body parser. */
export function requireJsonObject(): Middleware {
  return async (ctx, next) => {
    const body = (ctx.request as { body?: unknown }).body;
    if (hasBody(ctx) && body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw new ValidationError([fieldError('(root)', '请求体须为 JSON 对象', 'The request body must be a JSON object')]);
    }
    await next();
  };
}
