// The field messages of the ValidationError a call throws; fails the test when it throws nothing else.
import { expect } from 'chai';
import { ValidationError } from '../../src/common/errors.js';

export function fieldErrorsOf(fn: () => unknown): Record<string, { 'zh-CN': string; en: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return Object.fromEntries((err as ValidationError).fields.map((f) => [f.field, f.message]));
  }
  throw new Error('expected a validation error');
}
