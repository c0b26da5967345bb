// Page sessions stored in our own table (cmp_sessions): the rows behind the session cookie of the
// server-rendered forms (the cookie and CSRF handling are in src/http/session.ts, which explains the design).
import type { Knex } from 'knex';
import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
  /**
   * How long a session read from the table is answered from memory (default 30 s; 0: every request reads
   * the table). Sign-out and revocation in this process take effect at once; another instance behind the
   * same load balancer sees them at most this long later. Expiry is always exact (checked on every read).
   */
  cacheMs?: number;
  /** How many sessions the cache holds at most (the least recently used go first; default 10,000). */
  cacheMax?: number;
}

export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3600_000;
export const DEFAULT_SESSION_CACHE_MS = 30_000;
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
  /** Sessions by row key (the token's hash): every page request reads one, and it saves a round trip. */
  private readonly cache: LRUCache<string, PageSession> | null;
  /**
   * Sessions (`s:<id>`) and actors (`a:<id>`) revoked within the cache's ttl: a load that read the row
   * just before the DELETE must not put it back in the cache afterwards.
   */
  private readonly revoked: LRUCache<string, true> | null;

  constructor(
    private readonly db: Knex,
    private readonly tables: TableNames,
    private readonly clock: Clock,
    options: SessionOptions = {},
  ) {
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.anonymousLifetimeMs = options.anonymousLifetimeMs ?? 30 * 60_000;
    const cacheMs = options.cacheMs ?? DEFAULT_SESSION_CACHE_MS;
    this.cache = cacheMs > 0 ? new LRUCache<string, PageSession>({ max: options.cacheMax ?? 10_000, ttl: cacheMs }) : null;
    this.revoked = cacheMs > 0 ? new LRUCache<string, true>({ max: options.cacheMax ?? 10_000, ttl: cacheMs }) : null;
  }

  /** Remembers a session for at most the cache's ttl, and never past its own expiry. */
  private remember(session: PageSession): void {
    if (!this.cache || this.revoked!.has(`s:${session.id}`) || (session.actorId !== null && this.revoked!.has(`a:${session.actorId}`))) return;
    const left = session.expiresAt.getTime() - this.clock.now().getTime();
    if (left > 0) this.cache.set(session.id, session, { ttl: Math.min(left, this.cache.ttl) });
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
    this.remember(session);
    return { token, session };
  }

  /** The live session for a cookie token, or null when unknown, malformed or past its absolute expiry. */
  async load(token: string | undefined): Promise<PageSession | null> {
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const id = hashToken(token);
    const cached = this.cache?.get(id);
    if (cached) {
      // Exact expiry by the plugin's clock, whatever the cache's own timer says.
      if (cached.expiresAt.getTime() > this.clock.now().getTime()) return cached;
      this.cache!.delete(id);
      return null;
    }
    const row = (await this.db(this.tables.sessions).where({ id }).first()) as Record<string, unknown> | undefined;
    if (!row) return null;
    const expiresAt = requireDbTime(row.expires_at as string);
    if (expiresAt.getTime() <= this.clock.now().getTime()) return null;
    const session: PageSession = {
      id: String(row.id),
      kind: row.kind as SessionKind,
      actorId: (row.actor_id as string | null) ?? null,
      actor: parseActor((row.actor as string | null) ?? null),
      csrfToken: String(row.csrf_token),
      createdAt: requireDbTime(row.created_at as string),
      expiresAt,
    };
    this.remember(session);
    return session;
  }

  async revoke(sessionId: string): Promise<void> {
    // Forgotten before the row goes: a request in between reads the table, never a stale copy.
    this.revoked?.set(`s:${sessionId}`, true);
    this.cache?.delete(sessionId);
    await this.db(this.tables.sessions).where({ id: sessionId }).delete();
  }

  /** Every session of one actor (e.g. when the host disables a user); returns how many. */
  async revokeActor(actorId: string): Promise<number> {
    this.revoked?.set(`a:${actorId}`, true);
    if (this.cache) for (const [id, s] of this.cache.entries()) if (s.actorId === actorId) this.cache.delete(id);
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
