// What the pages show of attachments and visibility: the upload hint from the limits in force, the
// visibility choices, one attachment as a row with its links, and the files posted with a form grouped
// by the step they belong to.
import type { Actor } from '../../auth/actor.js';
import { hasPermission } from '../../auth/permissions.js';
import { kindList, reselectFiles } from '../../attachments/messages.js';
import type { AttachmentLimits } from '../../attachments/content.js';
import { STEP_LABELS, type Attachment } from '../../attachments/types.js';
import { msg, type Localized } from '../../common/localized.js';
import { VISIBILITY, isVisibility, type Visibility } from '../../complaints/visibility.js';
import { choices } from '../labels.js';

export function uploadView(limits: AttachmentLimits, reselect: boolean): { hint: Localized; reselect: Localized | null } {
  const mb = Math.round((limits.maxBytes / (1024 * 1024)) * 10) / 10;
  const kinds = kindList(limits.kinds);
  return {
    hint: msg(
      `每个文件不超过 ${mb} MB，每次最多 ${limits.maxFiles} 个；${kinds}（按文件内容判断）。照片保存前会去除拍摄位置等信息（EXIF）。`,
      `Up to ${mb} MB a file and ${limits.maxFiles} files at a time; ${kinds} (judged by content). Photos are stored without their location and other EXIF data.`,
    ),
    reselect: reselect ? reselectFiles : null,
  };
}

export function visibilityChoices(selected: string | undefined, fallback: Visibility) {
  return choices(VISIBILITY.labels, isVisibility(selected) ? selected : fallback);
}

/** The posted choice, or the default when absent or not one of ours. */
export function visibilityOr(value: string | undefined, fallback: Visibility): Visibility {
  return isVisibility(value) ? value : fallback;
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

export function attachmentRow(a: Attachment, base: string, actor: Actor) {
  const url = `${base}/c/${a.complaintId}/files/${a.id}`;
  return {
    id: a.id,
    fileName: a.fileName,
    stepLabel: STEP_LABELS[a.step],
    visibilityLabel: VISIBILITY.labels[a.visibility],
    ownerVisible: a.visibility === 'owner_visible',
    isImage: a.isImage,
    thumbUrl: a.hasThumbnail && !a.removedAt ? `${url}/thumb` : null,
    url: a.removedAt ? null : url,
    downloadUrl: a.removedAt ? null : `${url}?download=1`,
    size: sizeText(a.sizeBytes),
    uploadedByName: a.uploadedByName,
    uploadedAt: a.uploadedAt,
    removed: !!a.removedAt,
    removedByName: a.removedByName,
    removedReason: a.removedReason,
    canRemove: !a.removedAt && (a.uploadedBy === actor.id || hasPermission(actor, 'complaint.assess')),
  };
}
