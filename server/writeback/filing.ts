import crypto from 'node:crypto';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import type { AppConfig } from '../config';
import type { Discussion } from '../consent/discussion';
import { accessibleDiscussion } from '../consent/discussion-access';
import type { DiscussionStore } from '../consent/discussion-store';
import { AppError } from '../errors';
import { loadChecklist } from '../content/content-packs';
import type { AccessTokenDeps } from '../launch/access-token';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import type { SealedBox } from '../store/sealed-box';
import type { DriveContext, DriveOptions } from './drive-context';
import { ioFor } from './drive-context';
import { assertRetractable, retractInChart } from './entered-in-error';
import type { Replacement } from './filing-prepare';
import { appVersion, prepareIntent, prepareNote } from './filing-prepare';
import { driveIntent } from './filing-driver';
import type { HandoutPdfSource } from './handout-pdf';
import type { WriteIntent } from './ledger';
import { WriteLedger } from './ledger';
import { isFiled, isFinal } from './ledger-states';
import { tenantOf, writeProfileFor } from './profile';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference } from '../../fhir-resources/document-reference';
import { documentInputOf } from './note-input';
import { clinicianNameOf } from '../consent/discussion-snapshot';
import { DEFAULT_RETRY_POLICY } from './retry-after';

/**
 * Filing a discussion note to the chart exactly once (ARCHITECTURE.md §2 "Write ledger ──► vendor write profile ──►
 * POST DocumentReference ──► read back, confirm"): prepare and validate, record the intent, then drive it under a
 * lease. A second click, a second tab or a relaunch joins the intent already recorded; a relaunch resumes what a
 * lapsed session left pending; a recovery sweep (at boot and every half minute) reconciles what a stopped or killed
 * process left `sent` and retries what the EHR asked to wait for.
 */
export interface FilingOptions extends Partial<DriveOptions> {
  /** Period of the recovery sweep (default 30 s). */
  sweepIntervalMs?: number;
  now?: () => Date;
}

export interface FilingDeps {
  db: Db;
  box: SealedBox;
  config: AppConfig;
  discussions: DiscussionStore;
  store: LaunchSessionStore;
  tokens: AccessTokenDeps;
  /** The launch's chart snapshot: the note header and the US Core handout PDF come from it, not a new read. */
  chart: ChartSnapshotDeps;
  logger: Logger;
  pdfs: HandoutPdfSource;
  options?: FilingOptions;
}

/** The intent as recorded when the call returned, and its drive (already settled when there is nothing to do). */
export interface FilingHandle {
  intent: WriteIntent;
  done: Promise<WriteIntent | undefined>;
}

const CHECKLIST_LANGUAGE = 'en';
const DEFAULT_DRIVE: DriveOptions = { leaseMs: 60_000, writeTimeoutMs: 20_000, settleMs: 2_000, retry: DEFAULT_RETRY_POLICY };

export class FilingService {
  readonly ledger: WriteLedger;
  private readonly instanceId = crypto.randomBytes(6).toString('hex');
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, Promise<WriteIntent | undefined>>();
  private readonly preparing = new Map<string, Promise<WriteIntent>>();
  private readonly drive: DriveOptions;
  private readonly now: () => Date;
  private readonly version = appVersion();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: FilingDeps) {
    this.ledger = new WriteLedger(deps.db, deps.box);
    this.drive = { ...DEFAULT_DRIVE, ...deps.options };
    this.now = deps.options?.now ?? ((): Date => new Date());
  }

  /** Starts (or joins) the filing of an attested discussion of this launch's patient and clinician. */
  async fileDiscussion(input: { launch: LaunchSession; discussionId: string }): Promise<FilingHandle> {
    const discussion = await this.discussionFor(input.launch, input.discussionId);
    const intent = (await this.ledger.findLive(discussion.id)) ?? (await this.recordOnce(input.launch, discussion));
    return this.join(intent, input.launch);
  }

  /** The live intent of one of this launch's discussions (a draft has none), if it was ever filed. */
  async findFiling(launch: LaunchSession, discussionId: string): Promise<WriteIntent | undefined> {
    return this.ledger.findLive((await this.discussionFor(launch, discussionId, false)).id);
  }

  /** The EHR's own words about the last refusal (may quote the chart: for this launch's clinician only). */
  detailOf(intent: WriteIntent): Promise<string | undefined> {
    return this.ledger.detailOf(intent.id);
  }

  /** {@link resumePendingFilings} for the launch route: in the background, failures logged. */
  resumeAfterLaunch(launch: LaunchSession): void {
    this.resumePendingFilings(launch).catch((error: unknown) =>
      this.deps.logger.warn('writeback.resume_failed', { error: error instanceof Error ? error.name : 'unknown' }));
  }

  /** After a launch: picks up this clinician's open filings for this patient with the new, fresh token (H4). */
  async resumePendingFilings(launch: LaunchSession): Promise<number> {
    if (launch.fhirUser === undefined || this.stopping.signal.aborted) {
      return 0;
    }
    const open = await this.ledger.listResumable(launch.tenantId, launch.patientId, launch.fhirUser);
    const mine = open.filter((intent) => intent.fhirBaseUrl === launch.fhirBaseUrl);
    for (const intent of mine) {
      await this.ledger.adoptLaunch(intent.id, launch.launchId);
      this.driveInBackground(intent.id, launch).catch(() => undefined);
    }
    return mine.length;
  }

  /** Reconciles intents a stopped or killed process left behind, and retries the deferred ones whose time came. */
  async recoverySweep(): Promise<number> {
    let started = 0;
    for (const intent of await this.ledger.listRecoverable()) {
      const launch = intent.launchId === undefined ? undefined : await this.deps.store.peek(intent.launchId);
      if (launch !== undefined && launch.fhirBaseUrl === intent.fhirBaseUrl && !this.running.has(intent.id)) {
        this.driveInBackground(intent.id, launch).catch(() => undefined);
        started += 1;
      }
    }
    return started;
  }

  /** Runs the recovery sweep now and then periodically until {@link close}. */
  startSweeps(): void {
    const sweep = (): void => {
      this.recoverySweep().catch((error: unknown) =>
        this.deps.logger.warn('writeback.sweep_failed', { error: error instanceof Error ? error.name : 'unknown' }));
    };
    sweep();
    this.sweepTimer = setInterval(sweep, this.deps.options?.sweepIntervalMs ?? 30_000);
    this.sweepTimer.unref();
  }

  /**
   * Marks the filed note entered-in-error in the chart (generic and Epic profiles) and, with `replace`, files the
   * discussion again as a note that `relatesTo.replaces` the old one.
   */
  async markEnteredInError(input: { launch: LaunchSession; discussionId: string; replace: boolean; reason: string }): Promise<FilingHandle> {
    const discussion = await this.discussionFor(input.launch, input.discussionId);
    const intent = await this.ledger.findLive(discussion.id);
    if (intent === undefined || !isFiled(intent.state) || intent.documentId === undefined) {
      throw new AppError('conflict', 'This discussion has no note in the chart to mark entered-in-error.', { details: { reason: 'not_filed' } });
    }
    assertRetractable(intent.profile);
    const ctx = this.contextFor(input.launch);
    if ((await this.ledger.acquireLease(intent.id, ctx.owner, this.drive.leaseMs)) === undefined) {
      throw new AppError('conflict', 'This note is being worked on by another request; try again in a moment.', { details: { reason: 'busy' } });
    }
    let retracted: WriteIntent | undefined;
    try {
      await retractInChart(ioFor(ctx), intent.documentId);
      retracted = await this.ledger.apply(intent.id, ctx.owner, intent.state, 'retract', { lastError: null });
    } finally {
      await this.ledger.releaseLease(intent.id, ctx.owner);
    }
    this.deps.logger.info('writeback.entered_in_error', { intent: intent.id.slice(0, 8), replace: input.replace, tenant: intent.tenantId });
    if (retracted === undefined || !input.replace) {
      return { intent: retracted ?? intent, done: Promise.resolve(retracted) };
    }
    const replaces: Replacement = {
      documentId: intent.documentId,
      reason: input.reason,
      markedBy: clinicianNameOf(input.launch, (await chartSnapshotOf(this.deps.chart, input.launch)).context) ?? input.launch.fhirUser ?? 'unknown user',
      markedAt: this.now().toISOString(),
    };
    return this.join(await this.recordOnce(input.launch, discussion, replaces), input.launch);
  }

  /**
   * The note exactly as filing would write it (the same preparation, nothing recorded or sent): the clinician reads
   * it before filing. With the profile's document status, so the page can say a preliminary note still needs signing.
   */
  async previewNote(launch: LaunchSession, discussionId: string): Promise<{ text: string; profile: WriteProfile; docStatus: string }> {
    const discussion = await this.discussionFor(launch, discussionId);
    const tenant = tenantOf(this.deps.config, launch);
    const profile = writeProfileFor(tenant);
    const { context } = await chartSnapshotOf(this.deps.chart, launch);
    const { noteText, author, pdf } = await prepareNote({
      config: this.deps.config, tenant, profile, launch, discussion, checklist: loadChecklist(CHECKLIST_LANGUAGE), pdfs: this.deps.pdfs, appVersion: this.version, context,
    });
    const document = buildDocumentReference(profile, documentInputOf(discussion, author, noteText, this.now(), pdf));
    return { text: noteText, profile, docStatus: document.docStatus ?? 'final' };
  }

  /** Stops every drive without drawing conclusions and gives up their leases, so the next instance takes over. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.stopping.abort();
    await Promise.allSettled([...this.running.values(), ...this.preparing.values()]);
  }

  private async discussionFor(launch: LaunchSession, discussionId: string, mustBeAttested = true): Promise<Discussion> {
    const discussion = accessibleDiscussion(launch, await this.deps.discussions.get(discussionId), 'act');
    if (mustBeAttested && discussion.status !== 'attested') {
      throw new AppError('conflict', 'Only a completed (attested) discussion can be filed to the chart.', {
        hint: 'Complete the checklist and attest it first.',
        details: { reason: 'not_attested' },
      });
    }
    return discussion;
  }

  /** Prepares and records the intent; concurrent calls in this process share one preparation (one PDF render). */
  private recordOnce(launch: LaunchSession, discussion: Discussion, replaces?: Replacement): Promise<WriteIntent> {
    const key = `${discussion.id}:${replaces?.documentId ?? ''}`;
    const running = this.preparing.get(key);
    if (running !== undefined) {
      return running;
    }
    const work = this.prepareAndRecord(launch, discussion, replaces).finally(() => this.preparing.delete(key));
    this.preparing.set(key, work);
    return work;
  }

  private async prepareAndRecord(launch: LaunchSession, discussion: Discussion, replaces?: Replacement): Promise<WriteIntent> {
    const tenant = tenantOf(this.deps.config, launch);
    const { context } = await chartSnapshotOf(this.deps.chart, launch);
    const prepared = await prepareIntent({
      config: this.deps.config, tenant, profile: writeProfileFor(tenant), launch, discussion,
      checklist: loadChecklist(CHECKLIST_LANGUAGE), pdfs: this.deps.pdfs, appVersion: this.version, now: this.now(),
      context,
      ...(replaces === undefined ? {} : { replaces }),
    });
    const { intent, created } = await this.ledger.record(prepared);
    if (created) {
      this.deps.logger.info('writeback.intent_recorded', { intent: intent.id.slice(0, 8), profile: intent.profile, tenant: intent.tenantId });
    }
    return intent;
  }

  private join(intent: WriteIntent, launch: LaunchSession): FilingHandle {
    if (isFinal(intent.state) || intent.fhirBaseUrl !== launch.fhirBaseUrl) {
      return { intent, done: Promise.resolve(intent) };
    }
    return { intent, done: this.driveInBackground(intent.id, launch) };
  }

  private driveInBackground(intentId: string, launch: LaunchSession): Promise<WriteIntent | undefined> {
    const running = this.running.get(intentId);
    if (running !== undefined) {
      return running;
    }
    if (this.stopping.signal.aborted) {
      return this.ledger.get(intentId);
    }
    const work = driveIntent(this.contextFor(launch), intentId).finally(() => this.running.delete(intentId));
    work.catch(() => undefined);
    this.running.set(intentId, work);
    return work;
  }

  private contextFor(launch: LaunchSession): DriveContext {
    return {
      ledger: this.ledger,
      owner: `${this.instanceId}:${crypto.randomBytes(6).toString('hex')}`,
      launch,
      tokens: this.deps.tokens,
      logger: this.deps.logger,
      signal: this.stopping.signal,
      options: this.drive,
    };
  }
}
