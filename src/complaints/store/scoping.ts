// Community scoping in SQL: a query limited to the communities an actor may see (the SQL side of
// canSeeCommunity; records without a community stay visible).
import type { Knex } from 'knex';
import type { Actor } from '../../auth/actor.js';
import { isMatchableHostId } from '../hostIds.js';

/** Restricts a query to the actor's communities (records without a community stay visible, as in canSeeCommunity). */
export function scopeToActor<T extends Knex.QueryBuilder>(query: T, actor: Actor, column = 'community_id'): T {
  if (actor.communityIds === null) return query;
  const ids = actor.communityIds.filter(isMatchableHostId);
  return query.where((q) => {
    q.whereNull(column);
    if (ids.length) q.orWhereIn(column, ids);
  }) as T;
}
