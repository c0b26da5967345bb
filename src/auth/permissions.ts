// Permissions and the roles that grant them. plugin.json declares the same table for administrators;
// a unit test keeps the two in step.
import type { Actor } from './actor.js';
import { ForbiddenError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { loadManifest } from '../manifest/manifest.js';

export const PERMISSIONS = [
  'complaint.view',
  'complaint.create',
  'complaint.assess',
  'complaint.plan',
  'complaint.resolve',
  'complaint.follow_up',
  'complaint.escalate',
  'complaint.cancel',
  'complaint.handle',
  'offset.request',
  'offset.approve',
  'offset.revoke',
  'offset.apply',
  'compensation.record',
  'report.view',
  'complaint.contact',
  'admin.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Role → permissions, read from plugin.json so administrators and code see one table. */
export const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  ...Object.fromEntries(loadManifest().roles.map((role) => [role.name, role.permissions as Permission[]])),
  system: [...PERMISSIONS],
};

export const ROLE_LABELS: Record<string, Localized> = {
  ...Object.fromEntries(loadManifest().roles.map((role) => [role.name, msg(role['zh-CN'], role.en)])),
  system: msg('系统', 'System'),
};

export function hasPermission(actor: Actor, permission: Permission): boolean {
  // Own keys only: a role named "constructor" or "toString" (from an ERP's token) is simply unknown.
  return actor.roles.some((role) => Object.hasOwn(ROLE_PERMISSIONS, role) && ROLE_PERMISSIONS[role]!.includes(permission));
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!hasPermission(actor, permission)) {
    throw new ForbiddenError(msg(`没有权限执行此操作（需要 ${permission}）`, `You are not allowed to do this (requires ${permission})`));
  }
}

/** May this actor see records of this community? Records without a community are visible to all. */
export function canSeeCommunity(actor: Actor, communityId: string | null): boolean {
  return actor.communityIds === null || communityId === null || actor.communityIds.includes(communityId);
}
