// Who may read a note, a reply or an attachment: the owner too (their status page shows it) or staff
// only. Notes default to internal, replies to owner-visible; attachments say per upload (see
// src/attachments). What the owner sees is chosen, never everything (shared/domain.md).
import { msg } from '../common/localized.js';

export const VISIBILITY = {
  values: ['owner_visible', 'internal'] as const,
  labels: {
    owner_visible: msg('业主可见', 'Visible to the owner'),
    internal: msg('仅内部', 'Internal only'),
  },
};
export type Visibility = (typeof VISIBILITY.values)[number];

export const NOTE_DEFAULT_VISIBILITY: Visibility = 'internal';
export const REPLY_DEFAULT_VISIBILITY: Visibility = 'owner_visible';

export function isVisibility(value: unknown): value is Visibility {
  return value === 'owner_visible' || value === 'internal';
}
