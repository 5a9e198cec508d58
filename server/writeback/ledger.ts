import crypto from 'node:crypto';
import type { DocumentReference } from 'fhir/r4';
import { AppError } from '../errors';
import type { Db } from '../store/db';
import type { SealedBox } from '../store/sealed-box';
import type { LedgerEvent, LedgerState } from './ledger-states';
import { transition } from './ledger-states';
import type { IntentRow, LedgerError, WriteIntent } from './ledger-rows';
import { AuditTrail } from '../audit/audit-trail';
import { filingAuditRecord } from './filing-audit';
import { detailContext, intentFromRow, openDetail, openPayload, payloadContext } from './ledger-rows';

export type { LedgerError, WriteIntent } from './ledger-rows';

/**
 * The durable write ledger (migration 003). An intent is recorded before anything is sent; every change of state
 * is a compare-and-set (`UPDATE … WHERE id = $1 AND state = $2 AND <lease held> RETURNING`), so two callers can never
 * both move an intent, and only the holder of its lease may move it at all. Times are the database's (`now()`), so
 * app instances with drifting clocks still agree on who holds a lease.
 */
/** What the filing knows before anything is sent: the intent's identity and content, and the note itself. */
export type NewIntent = Pick<
  WriteIntent,
  'discussionId' | 'tenantId' | 'fhirBaseUrl' | 'patientId' | 'encounterId' | 'clinician' | 'profile' | 'noteSha256' | 'pdfSha256' | 'replacesDocumentId'
> & { launchId: string; documentReference: DocumentReference };

/** What a transition may also change. Column names are fixed here; values are always parameters. */
export interface IntentChanges {
  countAttempt?: boolean;
  /** Milliseconds from now; null clears it. */
  nextAttemptInMs?: number | null;
  lastError?: LedgerError | null;
  /** The EHR's own text about a refusal (may quote the chart): sealed. */
  detail?: string | null;
  documentId?: string;
  documentUrl?: string;
  markSent?: boolean;
  markConfirmed?: boolean;
}

const sha256 = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** SHA-256 of (FHIR base, patient, encounter, discussion id, content hash): the same note to the same chart. */
export function intentKeyOf(intent: NewIntent): string {
  const content = sha256(JSON.stringify([intent.noteSha256, intent.pdfSha256 ?? '', intent.replacesDocumentId ?? '']));
  return sha256(JSON.stringify([intent.fhirBaseUrl, intent.patientId, intent.encounterId ?? '', intent.discussionId, content]));
}

const LIVE_LEASE = `(lease_owner IS NULL OR lease_until IS NULL OR lease_until <= now() OR lease_owner = $2)`;

export class WriteLedger {
  private readonly audit: AuditTrail;

  constructor(
    private readonly db: Db,
    private readonly box: SealedBox,
  ) {
    this.audit = new AuditTrail(db);
  }

  /**
   * Records an intent, or joins the live one: a second click, tab or instance racing this one gets the same row
   * (the unique intent key and the one-live-intent-per-discussion index let exactly one insert through).
   */
  async record(intent: NewIntent): Promise<{ intent: WriteIntent; created: boolean }> {
    const id = crypto.randomUUID();
    const body = JSON.stringify(intent.documentReference);
    const rows = await this.db.query<IntentRow>(
      `INSERT INTO write_intents (id, intent_key, discussion_id, tenant_id, fhir_base_url, patient_id, encounter_id,
         clinician, launch_id, profile, state, identifier, replaces_document_id, request_sha256, note_sha256, pdf_sha256,
         payload_sealed, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $14, $15, $16, now(), now())
       ON CONFLICT DO NOTHING RETURNING *`,
      [id, intentKeyOf(intent), intent.discussionId, intent.tenantId, intent.fhirBaseUrl, intent.patientId,
        intent.encounterId ?? null, intent.clinician, intent.launchId, intent.profile, `urn:uuid:${intent.discussionId}`,
        intent.replacesDocumentId ?? null, sha256(body), intent.noteSha256, intent.pdfSha256 ?? null,
        this.box.seal(intent.documentReference, payloadContext(id))],
    );
    if (rows[0] !== undefined) {
      return { intent: intentFromRow(rows[0]), created: true };
    }
    const existing = (await this.findLive(intent.discussionId)) ?? (await this.findByKey(intentKeyOf(intent)));
    if (existing === undefined) {
      throw new AppError('conflict', 'This note is being filed by another request; try again in a moment.', {
        details: { reason: 'intent_race' },
      });
    }
    return { intent: existing, created: false };
  }

  async get(id: string): Promise<WriteIntent | undefined> {
    const rows = await this.db.query<IntentRow>('SELECT * FROM write_intents WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : intentFromRow(rows[0]);
  }

  /** The intent of a discussion that is not entered-in-error (at most one, by the partial unique index). */
  async findLive(discussionId: string): Promise<WriteIntent | undefined> {
    const rows = await this.db.query<IntentRow>(
      `SELECT * FROM write_intents WHERE discussion_id = $1 AND state <> 'entered-in-error'`,
      [discussionId],
    );
    return rows[0] === undefined ? undefined : intentFromRow(rows[0]);
  }

  private async findByKey(intentKey: string): Promise<WriteIntent | undefined> {
    const rows = await this.db.query<IntentRow>('SELECT * FROM write_intents WHERE intent_key = $1', [intentKey]);
    return rows[0] === undefined ? undefined : intentFromRow(rows[0]);
  }

  /** The DocumentReference the intent sends (PHI). */
  async payloadOf(id: string): Promise<DocumentReference> {
    const rows = await this.db.query<IntentRow>('SELECT id, payload_sealed FROM write_intents WHERE id = $1', [id]);
    if (rows[0] === undefined) {
      throw new AppError('not_found', 'This filing does not exist.');
    }
    return openPayload(this.box, rows[0]);
  }

  /** The EHR's words about the last refusal, if any (PHI possible: for the clinician's screen only). */
  async detailOf(id: string): Promise<string | undefined> {
    const rows = await this.db.query<IntentRow>('SELECT id, detail_sealed FROM write_intents WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : openDetail(this.box, rows[0]);
  }

  /**
   * Takes (or renews) the intent's lease for `ms`; undefined while someone else holds a live one. The lease, not a
   * process lock, is what keeps two requests, tabs or app instances from sending the same intent at once.
   */
  async acquireLease(id: string, owner: string, ms: number): Promise<WriteIntent | undefined> {
    const rows = await this.db.query<IntentRow>(
      `UPDATE write_intents SET lease_owner = $2, lease_until = now() + ($3::double precision * interval '1 millisecond')
       WHERE id = $1 AND ${LIVE_LEASE} RETURNING *`,
      [id, owner, ms],
    );
    return rows[0] === undefined ? undefined : intentFromRow(rows[0]);
  }

  /** Gives the lease up at once (a graceful stop: whoever comes next may reconcile straight away). */
  async releaseLease(id: string, owner: string): Promise<void> {
    await this.db.query(
      'UPDATE write_intents SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
      [id, owner],
    );
  }

  /**
   * Moves the intent by `event` if it is still in `from` and `owner` still holds a live lease on it.
   * @returns the updated intent, or undefined when someone else changed it first (the caller re-reads and stops).
   * @throws AppError internal when the table does not allow the move (a bug, not a race).
   */
  async apply(id: string, owner: string, from: LedgerState, event: LedgerEvent, changes: IntentChanges = {}): Promise<WriteIntent | undefined> {
    const result = transition(from, event);
    if (!result.ok) {
      throw new AppError('internal', `Write ledger: ${result.reason}`);
    }
    const params: unknown[] = [id, owner, from, result.to];
    const sets = ['state = $4', 'updated_at = now()', ...this.changeSets(id, changes, params)];
    // A state the compliance record names (filed, reconciled, failed, entered in error) changes together with its
    // audit row, or not at all.
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<IntentRow>(
        `UPDATE write_intents SET ${sets.join(', ')}
         WHERE id = $1 AND state = $3 AND lease_owner = $2 AND lease_until > now() RETURNING *`,
        params,
      );
      const intent = rows[0] === undefined ? undefined : intentFromRow(rows[0]);
      const record = intent === undefined ? undefined : filingAuditRecord(intent);
      if (record !== undefined) {
        await this.audit.append(record, tx);
      }
      return intent;
    });
  }

  /** Records the launch now driving the intent (a relaunch resumes it with fresh tokens). */
  async adoptLaunch(id: string, launchId: string): Promise<void> {
    await this.db.query('UPDATE write_intents SET launch_id = $2 WHERE id = $1', [id, launchId]);
  }

  /** The intent this launch last recorded or resumed, whatever its state. */
  async findLatestByLaunch(launchId: string): Promise<WriteIntent | undefined> {
    const rows = await this.db.query<IntentRow>(
      'SELECT * FROM write_intents WHERE launch_id = $1 ORDER BY updated_at DESC LIMIT 1',
      [launchId],
    );
    return rows[0] === undefined ? undefined : intentFromRow(rows[0]);
  }

  /** Open intents of this tenant, patient and clinician, oldest first (what a relaunch resumes). */
  async listResumable(tenantId: string, patientId: string, clinician: string): Promise<WriteIntent[]> {
    const rows = await this.db.query<IntentRow>(
      `SELECT * FROM write_intents WHERE tenant_id = $1 AND patient_id = $2 AND clinician = $3
         AND state IN ('pending', 'sent', 'unknown') ORDER BY created_at LIMIT 20`,
      [tenantId, patientId, clinician],
    );
    return rows.map(intentFromRow);
  }

  /**
   * What the recovery sweep takes up: `sent` or `unknown` with no live lease (its process died or stopped between
   * "sent" and the answer), and `pending` whose retry time has come (unless only a relaunch can help).
   */
  async listRecoverable(limit = 50): Promise<WriteIntent[]> {
    const rows = await this.db.query<IntentRow>(
      `SELECT * FROM write_intents
       WHERE (state IN ('sent', 'unknown') OR (state = 'pending' AND next_attempt_at IS NOT NULL))
         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         AND (lease_until IS NULL OR lease_until <= now())
         AND COALESCE(last_error, '') <> 'relaunch_needed'
         AND launch_id IS NOT NULL
       ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map(intentFromRow);
  }

  /** SET clauses for the optional changes, appending their values to `params`. */
  private changeSets(id: string, changes: IntentChanges, params: unknown[]): string[] {
    const sets: string[] = [];
    const set = (column: string, value: unknown): void => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (changes.countAttempt === true) {
      sets.push('attempts = attempts + 1');
    }
    if (changes.nextAttemptInMs !== undefined) {
      params.push(changes.nextAttemptInMs);
      sets.push(`next_attempt_at = now() + ($${params.length}::double precision * interval '1 millisecond')`);
    }
    if (changes.lastError !== undefined) {
      set('last_error', changes.lastError?.code ?? null);
      set('last_error_text', changes.lastError?.text.slice(0, 300) ?? null);
    }
    if (changes.detail !== undefined) {
      set('detail_sealed', changes.detail === null ? null : this.box.seal(changes.detail.slice(0, 2000), detailContext(id)));
    }
    if (changes.documentId !== undefined) {
      set('document_id', changes.documentId);
    }
    if (changes.documentUrl !== undefined) {
      set('document_url', changes.documentUrl);
    }
    if (changes.markSent === true) {
      sets.push('sent_at = now()');
    }
    if (changes.markConfirmed === true) {
      sets.push('confirmed_at = now()');
    }
    return sets;
  }
}

/** A note the app filed (or tried to), as the compliance reports need it: ids and states, nothing sealed. */
export interface FiledDocument {
  documentId: string;
  patientId: string;
  state: 'confirmed' | 'reconciled' | 'entered-in-error';
}

/**
 * The notes the app filed to one EHR (by FHIR base) for these patients, whatever their later state. Plain columns
 * only, so a command can ask without the sealing key.
 */
export async function filedDocumentsOf(db: Db, fhirBaseUrl: string, patientIds: readonly string[]): Promise<FiledDocument[]> {
  if (patientIds.length === 0) {
    return [];
  }
  const rows = await db.query<{ document_id: string; patient_id: string; state: FiledDocument['state'] }>(
    `SELECT document_id, patient_id, state FROM write_intents
     WHERE fhir_base_url = $1 AND patient_id = ANY($2::text[]) AND document_id IS NOT NULL
       AND state IN ('confirmed', 'reconciled', 'entered-in-error')
     ORDER BY created_at`,
    [fhirBaseUrl, [...patientIds]],
  );
  return rows.map((r) => ({ documentId: r.document_id, patientId: r.patient_id, state: r.state }));
}
