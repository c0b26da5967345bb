// Page sessions stored in our own table (cmp_sessions): the rows behind the session cookie of the
// server-rendered forms (the cookie and CSRF handling are in src/http/session.ts, which explains the design).
import type { Knex } from 'knex';
import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from './actor.js';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import { requireDbTime, toDbTime } from '../db/time.js';

export type SessionKind = 'signed_in' | 'bound';

export interface PageSession {
  /** SHA-256 of the cookie token (the row key). */
  id: string;
  kind: SessionKind;
  actorId: string | null;
  /** Set only for sessions opened at the sign-in page. */
  actor: Actor | null;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface SessionOptions {
  /** Absolute lifetime of a session, whatever the activity (default 8 hours: one shift at the counter). */
  lifetimeMs?: number;
  /** Lifetime of a session opened only to protect the sign-in form (default 30 minutes). */
  anonymousLifetimeMs?: number;
  cookieName?: string;
}

export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3600_000;
const PURGE_EVERY_MS = 10 * 60_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function parseActor(text: string | null): Actor | null {
  if (!text) return null;
  try {
    const a = JSON.parse(text) as Actor;
    if (typeof a?.id !== 'string' || !Array.isArray(a.roles)) return null;
    return {
      id: a.id,
      name: String(a.name ?? a.id),
      roles: a.roles.map(String),
      communityIds: Array.isArray(a.communityIds) ? a.communityIds.map(String) : null,
    };
  } catch {
    return null;
  }
}

export class SessionStore {
  private lastPurge = 0;
  readonly lifetimeMs: number;
  readonly anonymousLifetimeMs: number;

  constructor(
    private readonly db: Knex,
    private readonly tables: TableNames,
    private readonly clock: Clock,
    options: SessionOptions = {},
  ) {
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.anonymousLifetimeMs = options.anonymousLifetimeMs ?? 30 * 60_000;
  }

  /** Opens a session; returns the cookie token (never stored) and the session. */
  async create(kind: SessionKind, actor: Actor | null, actorId: string | null = actor?.id ?? null): Promise<{ token: string; session: PageSession }> {
    await this.purgeOccasionally();
    const token = randomToken();
    const now = this.clock.now();
    const lifetime = actorId === null ? this.anonymousLifetimeMs : this.lifetimeMs;
    const session: PageSession = {
      id: hashToken(token),
      kind,
      actorId,
      actor: kind === 'signed_in' ? actor : null,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetime),
    };
    await this.db(this.tables.sessions).insert({
      id: session.id,
      kind,
      actor_id: actorId,
      actor: session.actor ? JSON.stringify(session.actor) : null,
      csrf_token: session.csrfToken,
      created_at: toDbTime(session.createdAt),
      expires_at: toDbTime(session.expiresAt),
    });
    return { token, session };
  }

  /** The live session for a cookie token, or null when unknown, malformed or past its absolute expiry. */
  async load(token: string | undefined): Promise<PageSession | null> {
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const row = (await this.db(this.tables.sessions)
      .where({ id: hashToken(token) })
      .first()) as Record<string, unknown> | undefined;
    if (!row) return null;
    const expiresAt = requireDbTime(row.expires_at as string);
    if (expiresAt.getTime() <= this.clock.now().getTime()) return null;
    return {
      id: String(row.id),
      kind: row.kind as SessionKind,
      actorId: (row.actor_id as string | null) ?? null,
      actor: parseActor((row.actor as string | null) ?? null),
      csrfToken: String(row.csrf_token),
      createdAt: requireDbTime(row.created_at as string),
      expiresAt,
    };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db(this.tables.sessions).where({ id: sessionId }).delete();
  }

  /** Every session of one actor (e.g. when the host disables a user); returns how many. */
  async revokeActor(actorId: string): Promise<number> {
    return this.db(this.tables.sessions).where({ actor_id: actorId }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db(this.tables.sessions).where('expires_at', '<=', toDbTime(this.clock.now())).delete();
  }

  private async purgeOccasionally(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await this.purgeExpired();
  }
}
