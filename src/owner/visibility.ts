// What the owner may see of the complaint's history: the loop's milestones, and a progress note only when
// staff marked it owner-visible (notes default to internal; issue 17 item 3). Classification and every
// other note stay internal. The reply's own visibility is the complaint's `replyVisibility`.
import type { AuditEvent } from '../common/events.js';

const OWNER_VISIBLE_ACTIONS = new Set([
  'create',
  'start-investigation',
  'plan',
  'resolve',
  'follow-up',
  'cancel',
  'owner-info',
  'owner-rating',
  'owner-rehandle',
]);

export function ownerVisibleEvent(event: AuditEvent): boolean {
  if (event.entityType !== 'complaint') return false;
  if (event.action === 'note') return event.visibility === 'owner_visible';
  return OWNER_VISIBLE_ACTIONS.has(event.action);
}

/** Attachments the owner may see: none until attachments land (issue 17 item 1); the page lists this. */
export interface OwnerAttachment {
  id: number;
  name: string;
  url: string;
  thumbnailUrl: string | null;
}
