// Who is acting. The plugin owns no users: the host (or the demo) tells us who is signed in.
export interface Actor {
  id: string;
  name: string;
  roles: string[];
  /** Communities this person may see and change; null means all (or the host has no communities). */
  communityIds: string[] | null;
}

/** The actor for work the plugin does by itself (scheduled jobs, system corrections). */
export const SYSTEM_ACTOR: Actor = { id: 'system', name: '系统 / System', roles: ['system'], communityIds: null };
