import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Db } from '../store/db';
import type { SealedBox } from '../store/sealed-box';
import { AppError, notFound } from '../errors';
import type { ChecklistAnswers } from './checklist-model';
import { MAX_CLINICIAN_NOTES } from './checklist-model';
import type { ScenarioOverride } from '../content/scenario';
import type { ClinicianNote, DismissedFlag, Discussion, DiscussionKey, DiscussionSnapshot } from './discussion';
import { withScenarioChoice } from './discussion';
import { DISCUSSION_COLUMNS, discussionFromRow, rowValues } from './discussion-rows';
import type { DiscussionRow } from './discussion-rows';
import type { Attestation } from './discussion-lifecycle';
import { attested, newDraft, withSnapshot } from './discussion-lifecycle';

export type { Attestation } from './discussion-lifecycle';

/**
 * Discussion records in the store (migration 002). Every change is a compare-and-set on `version`: the caller says
 * which version it saw, and a change made meanwhile elsewhere (another window, a relaunch) is refused with 409
 * rather than overwritten. Attested records are frozen. Payloads are sealed; see discussion-rows.ts.
 */
export interface DiscussionStoreOptions {
  now?: () => Date;
}


const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_MATCH = `tenant_id = $1 AND patient_id = $2 AND COALESCE(encounter_id, '') = $3 AND clinician = $4`;
const PLACEHOLDERS = DISCUSSION_COLUMNS.map((_c, i) => `$${i + 1}`).join(', ');
const INSERT = `INSERT INTO discussions (${DISCUSSION_COLUMNS.join(', ')}) VALUES (${PLACEHOLDERS})
  ON CONFLICT (tenant_id, patient_id, (COALESCE(encounter_id, '')), clinician) WHERE status = 'draft' DO NOTHING
  RETURNING *`;
/** Rewrites every column but the id, only if the version is still the one read ($20). */
const UPDATE = `UPDATE discussions SET (${DISCUSSION_COLUMNS.slice(1).join(', ')}) =
  (${DISCUSSION_COLUMNS.slice(1).map((_c, i) => `$${i + 2}`).join(', ')})
  WHERE id = $1 AND version = $${DISCUSSION_COLUMNS.length + 1} RETURNING *`;
const ATTEMPTS = 3;

/** Equal as stored: compared through JSON, so key order and `undefined` members do not count as changes. */
function sameContent(a: Discussion, b: Discussion): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

function keyParams(key: DiscussionKey): string[] {
  return [key.tenantId, key.patientId, key.encounterId ?? '', key.clinician];
}

export function staleVersion(): AppError {
  return new AppError('conflict', 'This discussion was changed in another window.', {
    hint: 'Reload to see the latest version; what you entered here is still on the page.',
    details: { reason: 'stale_version' },
  });
}

function alreadyCompleted(): AppError {
  return new AppError('conflict', 'This discussion has been completed and can no longer be changed.', {
    details: { reason: 'not_draft' },
  });
}

/** The snapshot applied to a draft: the latest chart, pack and launch; app-filled answers overwrite stored ones. */

export class DiscussionStore {
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly box: SealedBox,
    private readonly options: DiscussionStoreOptions = {},
  ) {
    this.now = options.now ?? ((): Date => new Date());
  }

  /** The same store on a transaction's handle (a change and its audit row commit together). */
  on(tx: Db): DiscussionStore {
    return new DiscussionStore(tx, this.box, this.options);
  }

  /**
   * The draft of this key, brought up to date with the snapshot, or a new one. Race-safe: two first loads at once
   * both end up with the one row the partial unique index lets in.
   */
  async openDraft(key: DiscussionKey, snapshot: DiscussionSnapshot): Promise<Discussion> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const existing = await this.findDraft(key);
      if (existing !== undefined) {
        const refreshed = withSnapshot(existing, snapshot);
        if (sameContent(refreshed, existing)) {
          return existing;
        }
        const saved = await this.write(existing, refreshed);
        if (saved !== undefined) {
          return saved;
        }
        continue;
      }
      const rows = await this.db.query<DiscussionRow>(INSERT, rowValues(this.box, this.draft(key, snapshot)));
      if (rows[0] !== undefined) {
        return discussionFromRow(this.box, rows[0]);
      }
    }
    throw staleVersion();
  }

  private draft(key: DiscussionKey, s: DiscussionSnapshot): Discussion {
    return newDraft(key, s, { id: crypto.randomUUID(), now: this.now() });
  }

  async get(id: string): Promise<Discussion | undefined> {
    if (!UUID.test(id)) {
      return undefined;
    }
    const rows = await this.db.query<DiscussionRow>('SELECT * FROM discussions WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : discussionFromRow(this.box, rows[0]);
  }

  /** The open draft of this key, if any. */
  async findDraft(key: DiscussionKey): Promise<Discussion | undefined> {
    const rows = await this.db.query<DiscussionRow>(
      `SELECT * FROM discussions WHERE ${KEY_MATCH} AND status = 'draft'`,
      keyParams(key),
    );
    return rows[0] === undefined ? undefined : discussionFromRow(this.box, rows[0]);
  }

  /** The most recent discussion of this key last opened by this launch (e.g. the one it just attested). */
  async findLatestInLaunch(key: DiscussionKey, launchId: string): Promise<Discussion | undefined> {
    const rows = await this.db.query<DiscussionRow>(
      `SELECT * FROM discussions WHERE ${KEY_MATCH} AND launch_id = $5 ORDER BY updated_at DESC, created_at DESC LIMIT 1`,
      [...keyParams(key), launchId],
    );
    return rows[0] === undefined ? undefined : discussionFromRow(this.box, rows[0]);
  }

  /** Replaces the clinician's answers (autosave). The caller keeps the app-filled ones (keepAppFilled). */
  async saveAnswers(id: string, expectedVersion: number, answers: ChecklistAnswers): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => ({ ...d, answers }));
  }

  /**
   * Records what the clinician chose the handout to be about (`scenarioChoiceFor`); an empty choice goes back to the
   * chart's reading.
   */
  async chooseScenario(id: string, expectedVersion: number, choice: ScenarioOverride): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => withScenarioChoice(d, choice));
  }

  /** Records that the clinician set a tailoring flag aside, and why. A flag is dismissed once. */
  async dismissFlag(id: string, expectedVersion: number, dismissal: DismissedFlag): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => {
      if (!d.flagsShown.some((f) => f.id === dismissal.flagId)) {
        throw notFound('That tailoring flag is not part of this discussion.');
      }
      if (d.dismissedFlags.some((f) => f.flagId === dismissal.flagId)) {
        throw new AppError('conflict', 'That tailoring flag has already been dismissed.', { details: { reason: 'already_dismissed' } });
      }
      return { ...d, dismissedFlags: [...d.dismissedFlags, { ...dismissal }] };
    });
  }

  async addNote(id: string, expectedVersion: number, note: Omit<ClinicianNote, 'id'>): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => {
      if (d.clinicianNotes.length >= MAX_CLINICIAN_NOTES) {
        throw new AppError('unprocessable', `A discussion holds at most ${MAX_CLINICIAN_NOTES} notes for the patient.`, {
          hint: 'Remove a note you no longer need, or put several points in one note.',
          details: { reason: 'too_many_notes', max: MAX_CLINICIAN_NOTES },
        });
      }
      const added = { id: crypto.randomUUID(), text: note.text, by: note.by, at: note.at };
      return { ...d, clinicianNotes: [...d.clinicianNotes, added] };
    });
  }

  /** Takes a note out of a draft (a mistake, or one too many to print); an attested discussion keeps its notes. */
  async removeNote(id: string, expectedVersion: number, noteId: string): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => {
      if (!d.clinicianNotes.some((n) => n.id === noteId)) {
        throw notFound('That note is not part of this discussion.');
      }
      return { ...d, clinicianNotes: d.clinicianNotes.filter((n) => n.id !== noteId) };
    });
  }

  /** Freezes the discussion. The caller has validated the answers (validateForAttestation). */
  async attest(id: string, expectedVersion: number, attestation: Attestation): Promise<Discussion> {
    return this.mutate(id, expectedVersion, (d) => attested(d, attestation));
  }

  /** Every discussion about this patient at this tenant, newest first (capped at 200). */
  async listForPatient(tenantId: string, patientId: string): Promise<Discussion[]> {
    const rows = await this.db.query<DiscussionRow>(
      'SELECT * FROM discussions WHERE tenant_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id LIMIT 200',
      [tenantId, patientId],
    );
    return rows.map((row) => discussionFromRow(this.box, row));
  }

  private async mutate(id: string, expectedVersion: number, change: (d: Discussion) => Discussion): Promise<Discussion> {
    const current = await this.get(id);
    if (current === undefined) {
      throw notFound('This discussion does not exist.');
    }
    if (current.status !== 'draft') {
      throw alreadyCompleted();
    }
    if (current.version !== expectedVersion) {
      throw staleVersion();
    }
    const saved = await this.write(current, change(current));
    if (saved === undefined) {
      throw staleVersion();
    }
    return saved;
  }

  /** Writes `next` over `current` if nobody changed it meanwhile; undefined when someone did. */
  private async write(current: Discussion, next: Discussion): Promise<Discussion | undefined> {
    const row = { ...next, id: current.id, updatedAt: this.now(), version: current.version + 1 };
    const rows = await this.db.query<DiscussionRow>(UPDATE, [...rowValues(this.box, row), current.version]);
    return rows[0] === undefined ? undefined : discussionFromRow(this.box, rows[0]);
  }
}
