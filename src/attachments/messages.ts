// The attachment domain's messages, zh-CN first. Each file error names the file and says why.
import { fieldError, type FieldError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import type { AttachmentKind } from './types.js';

const KIND_NAMES: Record<AttachmentKind, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', heic: 'HEIC', pdf: 'PDF' };

export function kindList(kinds: readonly AttachmentKind[]): string {
  return kinds.map((k) => KIND_NAMES[k]).join('、');
}

function mb(bytes: number): string {
  const v = bytes / (1024 * 1024);
  return Number.isInteger(v) ? `${v} MB` : `${v.toFixed(1)} MB`;
}

export const tooLarge = (field: string, name: string, max: number): FieldError =>
  fieldError(field, `文件“${name}”超过 ${mb(max)}，未上传`, `File "${name}" is larger than ${mb(max)}; it was not uploaded`);

export const emptyFile = (field: string, name: string): FieldError =>
  fieldError(field, `文件“${name}”是空的，未上传`, `File "${name}" is empty; it was not uploaded`);

export const wrongType = (field: string, name: string, allowed: readonly AttachmentKind[], found: string | null): FieldError =>
  fieldError(
    field,
    `文件“${name}”的内容不是允许的类型（只收 ${kindList(allowed)}${found ? `，实际为 ${found}` : ''}），未上传`,
    `File "${name}" is not of an accepted type by its content (only ${kindList(allowed)}${found ? `; it is ${found}` : ''}); it was not uploaded`,
  );

export const unreadableImage = (field: string, name: string): FieldError =>
  fieldError(field, `文件“${name}”不是可读取的图片（可能已损坏），未上传`, `File "${name}" is not a readable image (it may be damaged); it was not uploaded`);

export const tooManyFiles = (field: string, names: string[], max: number): FieldError =>
  fieldError(
    field,
    `每一步最多上传 ${max} 个文件；多出的 ${names.map((n) => `“${n}”`).join('、')} 未上传`,
    `At most ${max} files per step; ${names.map((n) => `"${n}"`).join(', ')} beyond that were not uploaded`,
  );

export const reselectFiles = msg(
  '出于安全原因，浏览器不会保留已选的文件：请重新选择要上传的文件。其他填写内容已保留。',
  'For security the browser does not keep chosen files: please choose the files again. Everything else you typed is kept.',
);

export const attachmentNotFound = msg('附件不存在', 'Attachment not found');
export const mayNotRemove = msg('只有上传人或主管可以删除附件', 'Only the uploader or a supervisor may remove an attachment');
export const removeReasonMissing = fieldError('reason', '请填写删除原因', 'Enter why the attachment is removed');
export const complaintClosedForOwner = msg('投诉已结束，不能再补充资料', 'The complaint is closed; nothing more can be added');
