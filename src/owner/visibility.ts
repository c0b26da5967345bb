// What the owner may see of the complaint's history. Until every note, reply and attachment carries its
// own visibility (issue 17 item 3, built apart), the rule is the brief's default in this one place:
// replies and the loop's milestones are owner-visible, progress notes and classification are internal.
// When visibility lands, `ownerVisibleEvent` reads the event's own flag instead (a one-line change).
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
  return event.entityType === 'complaint' && OWNER_VISIBLE_ACTIONS.has(event.action);
}

/** Attachments the owner may see: none until attachments land (issue 17 item 1); the page lists this. */
export interface OwnerAttachment {
  id: number;
  name: string;
  url: string;
  thumbnailUrl: string | null;
}
