import type { Db } from './db';
import type { SealedBox } from './sealed-box';
import { AppError, notFound } from '../errors';
import {
  clientStateContext,
  openTokens,
  pendingFromRow,
  sealTokens,
  sessionFromRow,
  type PendingRow,
  type SessionRow,
} from './launch-session-rows';

/**
 * Server-side SMART launch state (BFF: tokens never reach the browser — ARCHITECTURE.md §7). Two records:
 * - a pending authorization between the redirect to the EHR and the callback: the OAuth `state`, bound to the
 *   browser session that started it and usable once (SMART App Launch STU2.2 §App protection, RFC 9700 §2.1);
 * - a launch session after the callback: one per chart launch, so two charts open side by side never share tokens,
 *   with an idle timeout and an absolute lifetime (ASVS 5.0 7.3.1 / 7.3.2; config passes 30 min / 8 h).
 * EHR tokens and fhirclient's state (with the PKCE verifier) are sealed before they reach the database.
 */
/**
 * What a launch is for: a patient's chart (`clinical`, the default) or the compliance dashboard (`compliance`, a
 * standalone launch with no patient). A session of one purpose is never accepted by the routes of the other.
 */
export type LaunchPurpose = 'clinical' | 'compliance';

export interface PendingAuthorization {
  state: string;
  /** Absent means `clinical`. */
  purpose?: LaunchPurpose;
  browserSessionId: string;
  tenantId: string;
  /** fhirclient's stored state, including the PKCE verifier: sealed at rest. */
  clientState: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export interface LaunchTokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  tokenType: string;
  scope: string;
  expiresAt: Date;
}

export interface LaunchSession {
  launchId: string;
  /** Absent means `clinical`. A compliance session has no patient (`patientId` is ''). */
  purpose?: LaunchPurpose;
  browserSessionId: string;
  tenantId: string;
  fhirBaseUrl: string;
  patientId: string;
  encounterId?: string;
  fhirUser?: string;
  userSub?: string;
  /** Non-secret launch context (need_patient_banner, tenant, intent, smart_style_url, granted scope). */
  context: Record<string, unknown>;
  /** Sealed in the database. */
  tokens: LaunchTokens;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface LaunchSessionStoreOptions {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after it began, however busy. */
  maxMs: number;
  /** How long the EHR login may take between redirect and callback; default 10 minutes. */
  pendingMs?: number;
  /** The clock; tests pass their own. */
  now?: () => Date;
}

const DEFAULT_PENDING_MS = 10 * 60_000;

/** Caller-generated random keys: bounded so a bug (empty id) or an oversized value is refused, not stored. */
function assertKey(value: string, what: string): void {
  if (value.length < 16 || value.length > 256) {
    throw new AppError('internal', `The ${what} must be 16-256 characters`);
  }
}

export class LaunchSessionStore {
  private readonly pendingMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly box: SealedBox,
    private readonly options: LaunchSessionStoreOptions,
  ) {
    this.pendingMs = options.pendingMs ?? DEFAULT_PENDING_MS;
    this.now = options.now ?? ((): Date => new Date());
  }

  /**
   * Records (or, for the same browser session, rewrites) the state of an authorization in flight. The expiry is set
   * at first save and never extended. A state already held by another browser session is refused.
   */
  async savePending(p: Omit<PendingAuthorization, 'createdAt' | 'expiresAt'>): Promise<void> {
    assertKey(p.state, 'state');
    assertKey(p.browserSessionId, 'browser session id');
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + this.pendingMs);
    const sealed = this.box.seal(p.clientState, clientStateContext(p.state));
    const rows = await this.db.query(
      `INSERT INTO pending_authorizations
         (state, browser_session_id, tenant_id, client_state_sealed, created_at, expires_at, purpose)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (state) DO UPDATE SET client_state_sealed = EXCLUDED.client_state_sealed
         WHERE pending_authorizations.browser_session_id = EXCLUDED.browser_session_id
           AND pending_authorizations.tenant_id = EXCLUDED.tenant_id
           AND pending_authorizations.purpose = EXCLUDED.purpose
       RETURNING state`,
      [p.state, p.browserSessionId, p.tenantId, sealed, createdAt, expiresAt, p.purpose ?? 'clinical'],
    );
    if (rows.length === 0) {
      throw new AppError('conflict', 'This sign-in is already in progress elsewhere', {
        hint: 'Launch the app again from the chart.',
      });
    }
  }

  /**
   * Consumes a pending authorization (single use, atomic: one DELETE … RETURNING, so two callbacks racing with the
   * same state cannot both succeed). A state presented by another browser session is not consumed, so an attacker
   * who learns it cannot burn the victim's sign-in.
   * @returns undefined when unknown, bound to another browser session, already taken or expired.
   */
  async takePending(state: string, browserSessionId: string): Promise<PendingAuthorization | undefined> {
    const rows = await this.db.query<PendingRow>(
      `DELETE FROM pending_authorizations WHERE state = $1 AND browser_session_id = $2 RETURNING *`,
      [state, browserSessionId],
    );
    const row = rows[0];
    if (row === undefined || row.expires_at.getTime() <= this.now().getTime()) {
      return undefined;
    }
    return pendingFromRow(this.box, row);
  }

  /** Reads a pending authorization without consuming it (fhirclient reads its state before it writes it). */
  async peekPending(state: string, browserSessionId: string): Promise<PendingAuthorization | undefined> {
    const rows = await this.db.query<PendingRow>(
      `SELECT * FROM pending_authorizations WHERE state = $1 AND browser_session_id = $2 AND expires_at > $3`,
      [state, browserSessionId, this.now()],
    );
    const row = rows[0];
    return row === undefined ? undefined : pendingFromRow(this.box, row);
  }

  /**
   * Moves everything bound to one browser session (its launches and pending sign-ins) to a new id: the callback
   * issues a fresh browser session, so an id planted in the browser before the sign-in (session fixation) is left
   * holding nothing, while the browser's other windows keep their launches.
   */
  async rebindBrowser(from: string, to: string): Promise<void> {
    assertKey(to, 'browser session id');
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE launch_sessions SET browser_session_id = $2 WHERE browser_session_id = $1', [from, to]);
      await tx.query('UPDATE pending_authorizations SET browser_session_id = $2 WHERE browser_session_id = $1', [from, to]);
    });
  }

  /** Starts a launch session; its absolute lifetime is counted from now. */
  async create(s: Omit<LaunchSession, 'createdAt' | 'lastSeenAt' | 'expiresAt'>): Promise<LaunchSession> {
    assertKey(s.launchId, 'launch id');
    assertKey(s.browserSessionId, 'browser session id');
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + this.options.maxMs);
    const rows = await this.db.query<SessionRow>(
      `INSERT INTO launch_sessions (launch_id, browser_session_id, tenant_id, fhir_base_url, patient_id, encounter_id,
         fhir_user, user_sub, context, tokens_sealed, csrf_token, created_at, last_seen_at, expires_at, purpose)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)
       RETURNING *`,
      [s.launchId, s.browserSessionId, s.tenantId, s.fhirBaseUrl, s.patientId, s.encounterId ?? null,
        s.fhirUser ?? null, s.userSub ?? null, JSON.stringify(s.context), sealTokens(this.box, s.launchId, s.tokens),
        s.csrfToken, createdAt, expiresAt, s.purpose ?? 'clinical'],
    );
    return sessionFromRow(this.box, rows[0]);
  }

  /**
   * Returns a live session of this browser session and marks it used (sliding the idle timeout).
   * @param purpose - the routes asking: a session of another purpose is not returned (nor touched).
   * @returns undefined when missing, of another purpose, owned by another browser session, idle too long or past its lifetime.
   */
  async get(launchId: string, browserSessionId: string, purpose: LaunchPurpose = 'clinical'): Promise<LaunchSession | undefined> {
    const now = this.now();
    const idleCutoff = new Date(now.getTime() - this.options.idleMs);
    const rows = await this.db.query<SessionRow>(
      `UPDATE launch_sessions SET last_seen_at = $3
       WHERE launch_id = $1 AND browser_session_id = $2 AND expires_at > $3 AND last_seen_at > $4 AND purpose = $5
       RETURNING *`,
      [launchId, browserSessionId, now, idleCutoff, purpose],
    );
    const row = rows[0];
    return row === undefined ? undefined : sessionFromRow(this.box, row);
  }

  /**
   * A live session by its id alone, without sliding its idle timeout: for server-side work the clinician started in
   * that launch (finishing the filing of a note after the page closed or the app restarted). Never answers a browser.
   */
  async peek(launchId: string): Promise<LaunchSession | undefined> {
    const now = this.now();
    const idleCutoff = new Date(now.getTime() - this.options.idleMs);
    const rows = await this.db.query<SessionRow>(
      'SELECT * FROM launch_sessions WHERE launch_id = $1 AND expires_at > $2 AND last_seen_at > $3',
      [launchId, now, idleCutoff],
    );
    const row = rows[0];
    return row === undefined ? undefined : sessionFromRow(this.box, row);
  }

  /** Replaces the tokens after a refresh (the refresh token may have rotated: the old one is discarded). */
  async updateTokens(launchId: string, tokens: LaunchTokens): Promise<void> {
    const rows = await this.db.query(
      `UPDATE launch_sessions SET tokens_sealed = $2 WHERE launch_id = $1 RETURNING launch_id`,
      [launchId, sealTokens(this.box, launchId, tokens)],
    );
    if (rows.length === 0) {
      throw notFound('This launch has ended', { hint: 'Launch the app again from the chart.' });
    }
  }

  /**
   * Claims the launch's token refresh for `leaseMs`, if no other instance holds it and the last attempt is at least
   * `minIntervalMs` old; answers the tokens as stored now (another instance may have rotated them) and their version.
   * @returns undefined when the refresh is someone else's, too soon, or the launch has ended.
   */
  async claimRefresh(launchId: string, leaseMs: number, minIntervalMs: number): Promise<{ tokens: LaunchTokens; version: number } | undefined> {
    const now = this.now();
    const rows = await this.db.query<{ tokens_sealed: string; tokens_version: number }>(
      `UPDATE launch_sessions SET refresh_lease_until = $2, refresh_attempted_at = $3
       WHERE launch_id = $1 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $3)
         AND (refresh_attempted_at IS NULL OR refresh_attempted_at <= $4)
       RETURNING tokens_sealed, tokens_version`,
      [launchId, new Date(now.getTime() + leaseMs), now, new Date(now.getTime() - minIntervalMs)],
    );
    const row = rows[0];
    return row === undefined ? undefined : { tokens: openTokens(this.box, launchId, row.tokens_sealed), version: row.tokens_version };
  }

  /**
   * Ends a claimed refresh: stores the new tokens (if any) only over the version the refresh started from, and lets
   * go of the lease. @returns false when the tokens had moved on meanwhile (nothing was overwritten).
   */
  async finishRefresh(launchId: string, version: number, tokens: LaunchTokens | undefined): Promise<boolean> {
    const rows = tokens === undefined
      ? await this.db.query('UPDATE launch_sessions SET refresh_lease_until = NULL WHERE launch_id = $1 RETURNING launch_id', [launchId])
      : await this.db.query(
        `UPDATE launch_sessions SET tokens_sealed = $3, tokens_version = tokens_version + 1, refresh_lease_until = NULL
         WHERE launch_id = $1 AND tokens_version = $2 RETURNING launch_id`,
        [launchId, version, sealTokens(this.box, launchId, tokens)],
      );
    return rows.length > 0;
  }

  /** The launch's tokens as stored now (after another instance's refresh), or undefined when it has ended. */
  async currentTokens(launchId: string): Promise<{ tokens: LaunchTokens; refreshing: boolean } | undefined> {
    const rows = await this.db.query<{ tokens_sealed: string; refresh_lease_until: Date | null }>(
      'SELECT tokens_sealed, refresh_lease_until FROM launch_sessions WHERE launch_id = $1',
      [launchId],
    );
    const row = rows[0];
    if (row === undefined) {
      return undefined;
    }
    return { tokens: openTokens(this.box, launchId, row.tokens_sealed), refreshing: row.refresh_lease_until !== null && row.refresh_lease_until > this.now() };
  }

  /** Ends a launch session (logout); its tokens are gone with the row. */
  async delete(launchId: string): Promise<void> {
    await this.db.query('DELETE FROM launch_sessions WHERE launch_id = $1', [launchId]);
  }

  /**
   * Deletes expired pending authorizations and sessions that are idle or past their lifetime (ASVS 5.0 7.4.1:
   * ended sessions are invalidated in the backend, not just refused).
   * @returns how many records were deleted.
   */
  async purgeExpired(now: Date = this.now()): Promise<number> {
    const idleCutoff = new Date(now.getTime() - this.options.idleMs);
    const rows = await this.db.query<{ deleted: number }>(
      `WITH pending AS (DELETE FROM pending_authorizations WHERE expires_at <= $1 RETURNING 1),
            sessions AS (DELETE FROM launch_sessions WHERE expires_at <= $1 OR last_seen_at <= $2 RETURNING 1)
       SELECT ((SELECT count(*) FROM pending) + (SELECT count(*) FROM sessions))::int AS deleted`,
      [now, idleCutoff],
    );
    return rows[0]?.deleted ?? 0;
  }
}
