// Errors the domain raises on purpose. Each carries a stable code, an HTTP status for the API, and
// messages in both locales; field errors say which field and why.
import type { Localized } from './localized.js';
import { msg } from './localized.js';

export interface FieldError {
  field: string;
  message: Localized;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly localized: Localized,
    readonly fields: FieldError[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(localized.en);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(fields: FieldError[], summary: Localized = msg('输入有误，请检查标出的字段', 'Some fields are invalid; please check the marked fields')) {
    super('validation_failed', 400, summary, fields);
    this.name = 'ValidationError';
  }
}

/** Nobody is signed in: the one 401 every API route and page answers. */
export class UnauthenticatedError extends DomainError {
  constructor() {
    super('unauthenticated', 401, msg('请先登录', 'Please sign in'));
    this.name = 'UnauthenticatedError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: Localized) {
    super('not_found', 404, what);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(why: Localized) {
    super('forbidden', 403, why);
    this.name = 'ForbiddenError';
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, why: Localized, details: Record<string, unknown> = {}) {
    super(code, 409, why, [], details);
    this.name = 'ConflictError';
  }
}

export function fieldError(field: string, zh: string, en: string): FieldError {
  return { field, message: msg(zh, en) };
}
