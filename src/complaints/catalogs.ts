// Cause categories and departments are administrator-configured lists (settings), so they are checked
// here at run time rather than as schema enums.
import { fieldError, type FieldError } from '../common/errors.js';
import type { Settings } from '../settings/settings.js';

export function categoryErrors(settings: Settings, code: string | undefined, field = 'category'): FieldError[] {
  if (code === undefined) return [];
  const known = settings.categories.find((c) => c.code === code);
  if (!known) return [fieldError(field, `未知的投诉类别“${code}”`, `Unknown cause category "${code}"`)];
  if (known.active === false) return [fieldError(field, `投诉类别“${known['zh-CN']}”已停用`, `Cause category "${known.en}" is no longer in use`)];
  return [];
}

export function departmentErrors(settings: Settings, code: string | undefined, field = 'department'): FieldError[] {
  if (code === undefined || settings.departments.some((d) => d.code === code)) return [];
  return [fieldError(field, `未知的责任部门“${code}”`, `Unknown department "${code}"`)];
}
