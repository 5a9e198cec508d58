/**
 * Content approval and the content archive: which content-pack versions a named clinical reviewer approved, and
 * the immutable copy of every version the app ever loaded or had approved (migration 006).
 *
 * A version is approved when an approval row names its content hash (SHA-256 of the file's canonical JSON,
 * `contentFileOf`): a file changed after approval has another hash, so it is a draft again — `start()` finds it,
 * logs it (no PHI: ids, versions, hashes) and audits `content.approval-revoked`. The review block inside a pack
 * file is the author's note; the store alone says what is approved.
 *
 * The interface the compliance screen and `npm run content` use:
 *
 *   const content = new ContentApprovals({ db, audit, logger });
 *   await content.start();                       // at boot: archive the loaded versions, hash check, audit changes
 *   await content.list(): ContentVersionStatus[] // every version loaded or archived, with its state:
 *                                                //   'draft' | 'approved' (approval: reviewer, approvedBy, approvedAt)
 *                                                //   | 'changed' (the file differs from what `approvedEarlier` approved)
 *   await content.approve({ packId, language?, version, reviewer, approvedBy }): ContentVersionStatus
 *        packId/version/language: a version in the content folder now (language needed only when the id has
 *        several, as the handout does: 'en', 'es'); reviewer: "name, credentials" (3–200 characters, a comma
 *        between); approvedBy: the approver's fhirUser reference, or 'cli'. Archive row, approval row and the
 *        `content.approved` audit row are written in one transaction: no audit row, no approval.
 *        Errors (AppError): bad_request (reviewer, approvedBy), not_found (no such loaded version), conflict
 *        (`already_approved`), internal `audit_unavailable`.
 *   await content.handoutToPrint(packRef, { requireApproved, asOf }): PrintableHandout
 *        the one way a handout is chosen for printing (preview, PDF, reprint, filing, `npm run render`).
 *
 * Printing uses only hashes: a discussion records its pack's content hash, and its reprint is of that content — from
 * the content folder when it still holds it, else from the archive — so a discussion on 1.0.0 reprints 1.0.0 after
 * 1.1.0 is loaded and approved. An approval counts for a discussion from the time it was made (`asOf`: the
 * attestation), so an attested discussion's reprint, DRAFT mark included, never changes.
 */
import type { AuditRecord } from '../audit/audit-record';
import type { AuditTrail } from '../audit/audit-trail';
import { AppError, badRequest, notFound, unprocessable } from '../errors';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import type { CitableSource } from './citation-identifiers';
import { unresolvableCitations } from './citation-identifiers';
import type { ContentKind, HandoutPackSummary, LoadedContentVersion } from './content-packs';
import { contentFileOfPack, loadHandoutPack, loadedContentVersions, listHandoutPacks, parseArchivedHandout } from './content-packs';
import type { HandoutPack } from './content-schema';

export interface ContentVersionKey {
  kind: ContentKind;
  packId: string;
  /** The primary language subtag; '' for the tailoring rules. */
  language: string;
  version: string;
}

export interface Approval {
  id: string;
  contentHash: string;
  /** "Name, credentials" as the reviewer gave it. */
  reviewer: string;
  /** Who recorded it: the approver's fhirUser reference, or `cli`. */
  approvedBy: string;
  /** ISO 8601. */
  approvedAt: string;
}

export type ContentVersionState = 'draft' | 'approved' | 'changed';

export interface ContentVersionStatus extends ContentVersionKey {
  contentHash: string;
  /** The content folder holds this version now; other versions are kept in the archive for reprints. */
  loaded: boolean;
  state: ContentVersionState;
  approval?: Approval;
  /** For `changed`: the approval of this version's earlier content, which the file no longer matches. */
  approvedEarlier?: Approval;
  /** From a sandbox approval: the citations that would stop a real approval. */
  unresolvedCitations?: string[];
}

export interface ApprovalRequest {
  packId: string;
  /** Needed only when the pack id has several languages (the handout). */
  language?: string;
  version: string;
  reviewer: string;
  approvedBy: string;
  /**
   * The sandbox's one-command local approval only: approve although some citations cannot be resolved yet (the
   * command lists them). Every other approval — the command's `approve`, the compliance screen — refuses them.
   */
  allowUnresolvedCitations?: boolean;
}

/** The citations of a pack's content (handout and checklist packs have them; the tailoring rules cite by id). */
export function unresolvedCitationsOf(version: LoadedContentVersion): string[] {
  const content = JSON.parse(version.file.canonical) as { citations?: unknown };
  return Array.isArray(content.citations) ? unresolvableCitations(content.citations as CitableSource[]) : [];
}

/** A handout ready to print: the pack (its review as the store says), and the approval that counts, if any. */
export interface PrintableHandout {
  pack: HandoutPack;
  contentHash: string;
  approval?: Approval;
}

/** What a discussion says of its pack (`PackRef`); `contentHash` is absent in records made before the archive. */
export interface PrintedPackRef {
  id: string;
  version: string;
  language: string;
  contentHash?: string;
}

export interface PrintOptions {
  /** Production: refuse a version without an approval that counts. */
  requireApproved: boolean;
  /** Approvals made after this time do not count (an attested discussion: its attestation). Default: now. */
  asOf?: Date;
}

/** Where `handoutToPrint` looks up approvals and archived content: the store, or nothing (`OFFLINE_CONTENT`). */
export interface ContentLookups {
  approvalOf(contentHash: string): Promise<Approval | undefined>;
  archivedContent(contentHash: string): Promise<string | undefined>;
  /** Whether this handout version was approved with other content (its file changed after approval). */
  approvedWithOtherContent(ref: PrintedPackRef, contentHash: string): Promise<boolean>;
}

/** `npm run render` works without a store: nothing is approved (every handout is marked DRAFT), nothing archived. */
export const OFFLINE_CONTENT: ContentLookups = {
  approvalOf: () => Promise.resolve(undefined),
  archivedContent: () => Promise.resolve(undefined),
  approvedWithOtherContent: () => Promise.resolve(false),
};

const REVIEWER = /^[^,\n\r]{2,}, *[^\n\r]*\S[^\n\r]*$/;
const ACTOR = /^\S{1,500}$/;

interface ApprovalRow {
  id: string;
  content_hash: string;
  kind: string;
  pack_id: string;
  language: string;
  version: string;
  reviewer: string;
  approved_by: string;
  approved_at: Date | string;
}

interface ArchiveRow {
  content_hash: string;
  kind: string;
  pack_id: string;
  language: string;
  version: string;
}

const APPROVAL_COLUMNS = 'id::text AS id, content_hash, kind, pack_id, language, version, reviewer, approved_by, approved_at';

const approvalOfRow = (row: ApprovalRow): Approval => ({
  id: row.id,
  contentHash: row.content_hash,
  reviewer: row.reviewer,
  approvedBy: row.approved_by,
  approvedAt: (row.approved_at instanceof Date ? row.approved_at : new Date(row.approved_at)).toISOString(),
});

const sameKey = (a: ContentVersionKey, b: ContentVersionKey): boolean =>
  a.kind === b.kind && a.packId === b.packId && a.language === b.language && a.version === b.version;

const keyOfRow = (row: ArchiveRow | ApprovalRow): ContentVersionKey => ({
  kind: row.kind as ContentKind, packId: row.pack_id, language: row.language, version: row.version,
});

/** `ContentPack/<id>[.<language>]|<version>`: what an audit row names (codes only). */
const packEntity = (key: ContentVersionKey): { type: string; id: string } => ({
  type: 'ContentPack',
  id: `${key.packId}${key.language === '' ? '' : `.${key.language}`}|${key.version}`,
});

/** The pack with its review block as the store says it (a file's own "approved" is not an approval). */
function withStoreReview(pack: HandoutPack, approval: Approval | undefined): HandoutPack {
  const review = approval === undefined
    ? { status: 'draft' as const, reviewedBy: null, reviewedAt: null, note: pack.review.note }
    : { status: 'approved' as const, reviewedBy: approval.reviewer, reviewedAt: approval.approvedAt.slice(0, 10), note: pack.review.note };
  return Object.freeze({ ...pack, review: Object.freeze(review) });
}

function notApproved(ref: PrintedPackRef, reason: 'pack_not_approved' | 'pack_changed_since_approval'): AppError {
  return unprocessable('This handout version has not been approved for patients, so it cannot be printed.', {
    hint: reason === 'pack_changed_since_approval'
      ? 'The handout file changed after it was approved: ask your content reviewer to approve it again.'
      : 'Ask your content reviewer to approve the handout pack, or use an approved version.',
    details: { reason, pack: ref.id, version: ref.version, language: ref.language },
  });
}

/** The loaded pack that is the content a discussion names (by hash; by version in records made before hashes). */
function loadedPackOf(ref: PrintedPackRef): { pack: HandoutPack; contentHash: string } | undefined {
  if (!listHandoutPacks().some((p) => p.language === ref.language)) {
    return undefined;
  }
  const pack = loadHandoutPack(ref.language);
  const contentHash = contentFileOfPack(pack).sha256;
  const same = ref.contentHash === undefined ? pack.version === ref.version : ref.contentHash === contentHash;
  return same ? { pack, contentHash } : undefined;
}

/** What the store says of a discussion's content (`handoutToPrint` asks it; the sandbox's tests have none). */
export interface StoredContent {
  /** The archived canonical JSON of `ref.contentHash`, when the content folder no longer holds it. */
  archived?: string;
  approval?: Approval;
  /** This version was approved with other content: its file changed after approval. */
  changedSinceApproval?: boolean;
}

/**
 * The decision itself (pure): the content the discussion names — the loaded pack when it is that content, else the
 * archived copy — with the approval that counts at `asOf`.
 * @throws AppError conflict `pack_version_changed` when that content is neither loaded nor archived;
 *   unprocessable `pack_not_approved` / `pack_changed_since_approval` when approval is required and none counts.
 */
export function printableHandout(ref: PrintedPackRef, stored: StoredContent, options: PrintOptions): PrintableHandout {
  const loaded = loadedPackOf(ref);
  const chosen = loaded ?? (stored.archived === undefined || ref.contentHash === undefined ? undefined : { pack: parseArchivedHandout(stored.archived), contentHash: ref.contentHash });
  if (chosen === undefined) {
    throw new AppError('conflict', 'The handout content changed since this discussion began.', {
      hint: 'Reload the page: the discussion will show the current handout version.',
      details: { reason: 'pack_version_changed' },
    });
  }
  const asOf = options.asOf ?? new Date();
  const approval = stored.approval !== undefined && stored.approval.contentHash === chosen.contentHash && Date.parse(stored.approval.approvedAt) <= asOf.getTime()
    ? stored.approval
    : undefined;
  if (options.requireApproved && approval === undefined) {
    throw notApproved(ref, stored.changedSinceApproval === true ? 'pack_changed_since_approval' : 'pack_not_approved');
  }
  return { pack: withStoreReview(chosen.pack, approval), contentHash: chosen.contentHash, ...(approval === undefined ? {} : { approval }) };
}

/** The handout a discussion prints, looked up in `lookups` (the store) and decided by `printableHandout`. */
export async function handoutToPrint(ref: PrintedPackRef, options: PrintOptions, lookups: ContentLookups): Promise<PrintableHandout> {
  const loaded = loadedPackOf(ref);
  const contentHash = loaded?.contentHash ?? ref.contentHash;
  if (contentHash === undefined) {
    return printableHandout(ref, {}, options);
  }
  const [archived, approval] = await Promise.all([
    loaded === undefined ? lookups.archivedContent(contentHash) : Promise.resolve(undefined),
    lookups.approvalOf(contentHash),
  ]);
  const changedSinceApproval = options.requireApproved && approval === undefined ? await lookups.approvedWithOtherContent(ref, contentHash) : false;
  return printableHandout(ref, {
    ...(archived === undefined ? {} : { archived }),
    ...(approval === undefined ? {} : { approval }),
    changedSinceApproval,
  }, options);
}

export interface ContentApprovalsDeps {
  db: Db;
  audit: AuditTrail;
  logger?: Logger;
  now?: () => Date;
}

export class ContentApprovals implements ContentLookups {
  /** Approvals are insert-only, so one seen is kept; a version not yet approved is asked of the store again. */
  private readonly approvals = new Map<string, Approval>();
  private readonly now: () => Date;

  constructor(private readonly deps: ContentApprovalsDeps) {
    this.now = deps.now ?? ((): Date => new Date());
  }

  /**
   * At boot: archives every loaded version and checks each against its approvals. A version approved under another
   * hash (its file changed after approval) is logged and audited `content.approval-revoked`; it is a draft now.
   * @returns the state of every loaded version.
   */
  async start(): Promise<ContentVersionStatus[]> {
    const loaded = loadedContentVersions();
    await this.deps.db.transaction(async (tx) => {
      for (const version of loaded) {
        await archive(tx, version);
      }
    });
    const statuses = await this.list();
    for (const status of statuses.filter((s) => s.loaded && s.state === 'changed')) {
      const fields = { kind: status.kind, pack: status.packId, language: status.language, version: status.version, loadedHash: status.contentHash, approvedHash: status.approvedEarlier?.contentHash };
      this.deps.logger?.warn('content.approval_revoked', fields);
      await this.deps.audit.append({
        action: 'content.approval-revoked',
        outcome: 'success',
        reason: 'content_changed_since_approval',
        entities: [packEntity(status), ...(status.approvedEarlier === undefined ? [] : [{ type: 'ContentApproval', id: status.approvedEarlier.id }])],
        detail: { kind: status.kind, contentHash: status.contentHash, approvedHash: status.approvedEarlier?.contentHash ?? '' },
      });
    }
    return statuses.filter((s) => s.loaded);
  }

  /** Every version loaded now or archived, with its approval state; loaded versions first, then by pack and version. */
  async list(): Promise<ContentVersionStatus[]> {
    const [archived, approvalRows] = await Promise.all([
      this.deps.db.query<ArchiveRow>('SELECT content_hash, kind, pack_id, language, version FROM content_archive ORDER BY archived_at, content_hash'),
      this.deps.db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM content_approvals ORDER BY id`),
    ]);
    const approvalOfHash = new Map<string, Approval>();
    for (const row of approvalRows) {
      if (!approvalOfHash.has(row.content_hash)) {
        approvalOfHash.set(row.content_hash, approvalOfRow(row));
      }
    }
    const loaded = loadedContentVersions();
    const loadedHashes = new Set(loaded.map((v) => v.file.sha256));
    const entries: Array<{ key: ContentVersionKey; contentHash: string; loaded: boolean }> = [
      ...loaded.map((v) => ({ key: { kind: v.kind, packId: v.packId, language: v.language, version: v.version }, contentHash: v.file.sha256, loaded: true })),
      ...archived.filter((row) => !loadedHashes.has(row.content_hash)).map((row) => ({ key: keyOfRow(row), contentHash: row.content_hash, loaded: false })),
    ];
    return entries.map(({ key, contentHash, loaded: isLoaded }): ContentVersionStatus => {
      const approval = approvalOfHash.get(contentHash);
      if (approval !== undefined) {
        this.approvals.set(contentHash, approval);
        return { ...key, contentHash, loaded: isLoaded, state: 'approved', approval };
      }
      const earlierRow = approvalRows.find((row) => sameKey(keyOfRow(row), key) && row.content_hash !== contentHash);
      return earlierRow === undefined
        ? { ...key, contentHash, loaded: isLoaded, state: 'draft' }
        : { ...key, contentHash, loaded: isLoaded, state: 'changed', approvedEarlier: approvalOfRow(earlierRow) };
    });
  }

  /** Records a named reviewer's approval of a loaded version (see the interface at the top of this file). */
  async approve(request: ApprovalRequest): Promise<ContentVersionStatus> {
    const reviewer = request.reviewer.trim();
    if (reviewer.length < 3 || reviewer.length > 200 || !REVIEWER.test(reviewer)) {
      throw badRequest('The reviewer must be given as "name, credentials" (for example "Ana Ruiz, MD").', { details: { reason: 'bad_reviewer' } });
    }
    if (!ACTOR.test(request.approvedBy)) {
      throw badRequest('The approver must be a fhirUser reference or "cli".', { details: { reason: 'bad_approver' } });
    }
    const version = this.loadedVersion(request);
    const unresolved = unresolvedCitationsOf(version);
    if (unresolved.length > 0 && request.allowUnresolvedCitations !== true) {
      throw new AppError('unprocessable', `${packEntity(version).id} cites sources without a DOI, PMID or official address (${unresolved.slice(0, 5).join(', ')}${unresolved.length > 5 ? ` and ${unresolved.length - 5} more` : ''}), so it cannot be approved.`, {
        hint: 'Complete or remove those citations in the pack file (a new version), then approve it.',
        details: { reason: 'unresolved_citations', citations: unresolved },
      });
    }
    const statuses = await this.list();
    const current = statuses.find((s) => s.loaded && s.contentHash === version.file.sha256);
    if (current?.approval !== undefined) {
      throw new AppError('conflict', `${packEntity(version).id} is already approved (by ${current.approval.reviewer}, ${current.approval.approvedAt.slice(0, 10)}).`, {
        details: { reason: 'already_approved' },
      });
    }
    const approvedAt = this.now();
    const alreadyApproved = (): AppError => new AppError('conflict', `${packEntity(version).id} has just been approved by someone else.`, { details: { reason: 'already_approved' } });
    const row = await this.deps.audit.together(
      async (tx) => {
        await archive(tx, version);
        // A concurrent approval of the same content (another instance, the command line) meets the unique index.
        const [inserted] = await tx.query<ApprovalRow>(
          `INSERT INTO content_approvals (content_hash, kind, pack_id, language, version, reviewer, approved_by, approved_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (content_hash) DO NOTHING RETURNING ${APPROVAL_COLUMNS}`,
          [version.file.sha256, version.kind, version.packId, version.language, version.version, reviewer, request.approvedBy, approvedAt.toISOString()],
        );
        if (inserted === undefined) {
          throw alreadyApproved();
        }
        return inserted;
      },
      (inserted): AuditRecord => ({
        action: 'content.approved',
        outcome: 'success',
        actor: request.approvedBy,
        entities: [packEntity(version), { type: 'ContentApproval', id: inserted.id }],
        detail: { kind: version.kind, contentHash: version.file.sha256 },
      }),
    );
    const approval = approvalOfRow(row);
    this.approvals.set(approval.contentHash, approval);
    this.deps.logger?.info('content.approved', { kind: version.kind, pack: version.packId, language: version.language, version: version.version, contentHash: version.file.sha256 });
    return {
      kind: version.kind, packId: version.packId, language: version.language, version: version.version, contentHash: version.file.sha256, loaded: true, state: 'approved', approval,
      ...(unresolved.length > 0 ? { unresolvedCitations: unresolved } : {}),
    };
  }

  async approvalOf(contentHash: string): Promise<Approval | undefined> {
    const known = this.approvals.get(contentHash);
    if (known !== undefined) {
      return known;
    }
    const [row] = await this.deps.db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM content_approvals WHERE content_hash = $1`, [contentHash]);
    if (row === undefined) {
      return undefined;
    }
    const approval = approvalOfRow(row);
    this.approvals.set(contentHash, approval);
    return approval;
  }

  async archivedContent(contentHash: string): Promise<string | undefined> {
    const [row] = await this.deps.db.query<{ content: string }>('SELECT content FROM content_archive WHERE content_hash = $1', [contentHash]);
    return row?.content;
  }

  async approvedWithOtherContent(ref: PrintedPackRef, contentHash: string): Promise<boolean> {
    const rows = await this.deps.db.query(
      `SELECT 1 FROM content_approvals WHERE kind = 'handout' AND pack_id = $1 AND language = $2 AND version = $3 AND content_hash <> $4 LIMIT 1`,
      [ref.id, ref.language, ref.version, contentHash],
    );
    return rows.length > 0;
  }

  /** See `handoutToPrint`: over this store's approvals and archive. */
  handoutToPrint(ref: PrintedPackRef, options: PrintOptions): Promise<PrintableHandout> {
    return handoutToPrint(ref, options, this);
  }

  /** The loaded handout packs, each with its review status as the store says it (which language production may give). */
  async handoutChoices(): Promise<HandoutPackSummary[]> {
    return Promise.all(listHandoutPacks().map(async (summary): Promise<HandoutPackSummary> => {
      const contentHash = contentFileOfPack(loadHandoutPack(summary.language)).sha256;
      const approval = await this.approvalOf(contentHash);
      if (approval !== undefined) {
        return { ...summary, reviewStatus: 'approved' };
      }
      const ref = { id: summary.id, version: summary.version, language: summary.language };
      return { ...summary, reviewStatus: 'draft', changedSinceApproval: await this.approvedWithOtherContent(ref, contentHash) };
    }));
  }

  private loadedVersion(request: ApprovalRequest): LoadedContentVersion {
    const loaded = loadedContentVersions();
    const ofPack = loaded.filter((v) => v.packId === request.packId);
    const matching = ofPack.filter((v) => v.version === request.version && (request.language === undefined || v.language === request.language));
    if (matching.length === 1 && matching[0] !== undefined) {
      return matching[0];
    }
    if (matching.length > 1) {
      throw badRequest(`${request.packId} ${request.version} is in several languages (${matching.map((v) => v.language).join(', ')}): name one with --language.`, {
        details: { reason: 'language_needed' },
      });
    }
    const offered = ofPack.map((v) => `${v.version}${v.language === '' ? '' : ` (${v.language})`}`).join(', ');
    throw notFound(`The content folder has no ${request.packId} version ${request.version}${request.language === undefined ? '' : ` in ${request.language}`}.`, {
      hint: ofPack.length === 0 ? 'Run `npm run content -- list` to see the pack ids.' : `It holds: ${offered}.`,
      details: { reason: 'no_such_version' },
    });
  }
}

/** Keeps a version's canonical content, once per hash (the table refuses changes: migration 006). */
async function archive(tx: Db, version: LoadedContentVersion): Promise<void> {
  await tx.query(
    `INSERT INTO content_archive (content_hash, kind, pack_id, language, version, content) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (content_hash) DO NOTHING`,
    [version.file.sha256, version.kind, version.packId, version.language, version.version, version.file.canonical],
  );
}
