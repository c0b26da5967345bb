// Attachments (附件 / 照片): photos and documents on a complaint's steps. What the domain knows of one
// stored file, the steps it may belong to, and the shape of a file as it arrives (from a form, the JSON
// API or the owner's page), before anything is decided about it.
import type { Visibility } from '../complaints/visibility.js';
import { msg, type Localized } from '../common/localized.js';

export const STEPS = ['intake', 'progress', 'reply_before', 'reply_after', 'follow_up', 'owner'] as const;
export type AttachmentStep = (typeof STEPS)[number];

export const STEP_LABELS: Record<AttachmentStep, Localized> = {
  intake: msg('受理登记', 'Intake'),
  progress: msg('处理进展', 'Progress note'),
  reply_before: msg('答复（处理前）', 'Reply (before)'),
  reply_after: msg('答复（处理后）', 'Reply (after)'),
  follow_up: msg('回访', 'Follow-up visit'),
  owner: msg('业主补充', 'From the owner'),
};

/** What staff steps default to; the owner's own uploads are always owner-visible. */
export const STEP_DEFAULT_VISIBILITY: Record<AttachmentStep, Visibility> = {
  intake: 'internal',
  progress: 'internal',
  reply_before: 'owner_visible',
  reply_after: 'owner_visible',
  follow_up: 'internal',
  owner: 'owner_visible',
};

export function isStep(value: unknown): value is AttachmentStep {
  return typeof value === 'string' && (STEPS as readonly string[]).includes(value);
}

/** The kinds of file accepted (settings.attachmentTypes), with the type we serve each as. */
export const KINDS = {
  jpeg: { mime: 'image/jpeg', ext: 'jpg', image: true },
  png: { mime: 'image/png', ext: 'png', image: true },
  webp: { mime: 'image/webp', ext: 'webp', image: true },
  heic: { mime: 'image/heic', ext: 'heic', image: true },
  pdf: { mime: 'application/pdf', ext: 'pdf', image: false },
} as const;
export type AttachmentKind = keyof typeof KINDS;

/** A file as it arrived, before any check: the name and type the sender declared mean nothing here. */
export interface IncomingFile {
  /** The form field it came in (file errors are reported at this field). */
  field: string;
  /** The name the sender gave (shown back in messages and as the download name, never trusted). */
  fileName: string;
  data: Buffer;
  /** The multipart parser stopped reading at the size limit: the file is larger than allowed. */
  truncated?: boolean;
}

/** A file that passed every check and was made ready to store (re-encoded, thumbnail made). */
export interface PreparedFile {
  field: string;
  fileName: string;
  kind: AttachmentKind;
  mime: string;
  data: Buffer;
  sha256: string;
  width: number | null;
  height: number | null;
  processing: 'reencoded' | 'as_uploaded';
  thumbnail: Buffer | null;
}

export interface Attachment {
  id: number;
  complaintId: number;
  step: AttachmentStep;
  visibility: Visibility;
  fileName: string;
  mime: string;
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  processing: 'reencoded' | 'as_uploaded';
  hasThumbnail: boolean;
  isImage: boolean;
  storage: string;
  storageKey: string;
  uploadedBy: string;
  uploadedByName: string;
  uploadedAt: Date;
  removedAt: Date | null;
  removedBy: string | null;
  removedByName: string | null;
  removedReason: string | null;
}

export type AttachmentVariant = 'original' | 'thumbnail';

/** Bytes to serve, with what the HTTP layer needs to serve them safely. */
export interface AttachmentContent {
  attachment: Attachment;
  variant: AttachmentVariant;
  mime: string;
  data: Buffer;
  /** Images may be shown in the page; everything else is offered as a download. */
  inline: boolean;
  fileName: string;
}
