// Community scoping: a person sees and changes only complaints of the communities they are allowed.
// A complaint outside their scope answers exactly like one that does not exist (404), so ids leak nothing.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity } from '../auth/permissions.js';
import { NotFoundError } from '../common/errors.js';
import { complaintNotFoundMessage } from './messages.js';
import { isMatchableHostId } from './hostIds.js';
import type { Complaint } from './types.js';

export function complaintNotFound(): NotFoundError {
  return new NotFoundError(complaintNotFoundMessage);
}

/** Returns the complaint when the actor may see it, otherwise throws the same 404 as a missing one. */
export function visibleOrNotFound(actor: Actor, complaint: Complaint | null): Complaint {
  if (!complaint || !canSeeCommunity(actor, complaint.communityId)) throw complaintNotFound();
  return complaint;
}

/** Restricts a query to the actor's communities (records without a community stay visible, as in canSeeCommunity). */
export function scopeToActor<T extends Knex.QueryBuilder>(query: T, actor: Actor, column = 'community_id'): T {
  if (actor.communityIds === null) return query;
  const ids = actor.communityIds.filter(isMatchableHostId);
  return query.where((q) => {
    q.whereNull(column);
    if (ids.length) q.orWhereIn(column, ids);
  }) as T;
}
