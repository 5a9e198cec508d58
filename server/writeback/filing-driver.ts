/**
 * Drives one intent from where the ledger has it to a final state, holding its lease the whole time (so no other
 * request, tab or app instance sends it meanwhile). Each step is one of:
 * - `pending` → send once (step 2), then act on the answer (ehr-writer.ts's table);
 * - `sent` with a document id → read back and confirm (step 4);
 * - `sent` without one (its process died mid-send) or `unknown` → reconcile with a search (step 3).
 * The number of sends per drive is bounded; waits honour `Retry-After`; the app stopping ends the drive at once
 * and leaves the intent for the recovery sweep.
 */
import type { DocumentReference } from 'fhir/r4';
import type { DriveContext, DriveIo, Step } from './drive-context';
import { ioFor, move, pause } from './drive-context';
import { confirmCreated, MATCHED_EXISTING, reconcileIntent, reconcileTargetOf, sentNoteOf } from './drive-checks';
import type { CreateOutcome } from './ehr-writer';
import { postDocumentReference } from './ehr-writer';
import { conditionalCreateFor } from './capability';
import type { WriteIntent } from './ledger';
import { isFinal } from './ledger-states';
import { findCopiesInChart } from './reconcile';
import { planRetry } from './retry-after';

interface Budget {
  sends: number;
  refreshed: boolean;
}

const MAX_STEPS = 20;

async function send(ctx: DriveContext, io: DriveIo, intent: WriteIntent, budget: Budget): Promise<Step> {
  if (budget.sends >= ctx.options.retry.maxAttempts) {
    return 'stop';
  }
  const document: DocumentReference = await ctx.ledger.payloadOf(intent.id);
  // A replacement shares its identifier with the note it replaces (still in the chart, entered-in-error), so a
  // conditional create would match that one: the ledger alone keeps a replacement single.
  const condition = intent.replacesDocumentId === undefined ? await conditionalCreateFor(io.write, intent.profile, intent.identifier) : undefined;
  const sent = await move(ctx, intent, 'send', { countAttempt: true, markSent: true, nextAttemptInMs: null });
  if (sent === 'stop') {
    return sent;
  }
  budget.sends += 1;
  const outcome = await postDocumentReference(document, condition, io.write);
  return afterCreate(ctx, io, sent, outcome, budget);
}

async function afterCreate(ctx: DriveContext, io: DriveIo, intent: WriteIntent, outcome: CreateOutcome, budget: Budget): Promise<Step> {
  switch (outcome.kind) {
    case 'aborted':
      return 'stop';
    case 'created':
      return recordCreated(ctx, io, intent, outcome);
    case 'not-applied':
      return notApplied(ctx, intent, outcome, budget);
    case 'unauthorized':
      return unauthorized(ctx, io, intent, budget);
    case 'rejected':
      return move(ctx, intent, 'reject', {
        lastError: { code: outcome.code, text: `The EHR refused the note (${outcome.summary.safe}).` },
        detail: outcome.summary.readable ?? null,
      });
    case 'unknown': {
      const lost = await move(ctx, intent, 'lose', {
        lastError: { code: 'outcome_unknown', text: `No answer came back from the EHR (${outcome.reason}); checking the chart before anything is sent again.` },
      });
      return lost !== 'stop' && (await pause(ctx.options.settleMs, ctx.signal)) ? lost : 'stop';
    }
  }
}

/** 201/200: keep the id (Location, else body, else a search); no id anywhere → failed for a human, never re-sent. */
async function recordCreated(ctx: DriveContext, io: DriveIo, intent: WriteIntent, outcome: Extract<CreateOutcome, { kind: 'created' }>): Promise<Step> {
  let id = outcome.location?.id ?? outcome.bodyId;
  if (id === undefined) {
    const found = await findCopiesInChart(io.http, reconcileTargetOf(intent), await sentNoteOf(ctx, intent));
    if (found.kind !== 'one') {
      return move(ctx, intent, 'reject', { lastError: { code: 'created_not_found', text: 'The EHR said the note was filed but gave no id and a search did not find exactly one copy.' } });
    }
    id = found.id;
  }
  return move(ctx, intent, 'created', {
    documentId: id,
    documentUrl: outcome.location?.url ?? `${io.write.baseUrl}/DocumentReference/${id}`,
    lastError: outcome.matched ? { code: MATCHED_EXISTING, text: 'The EHR already held this note (conditional create matched).' } : null,
  });
}

/** 429/503/unreachable: nothing was stored. Wait as asked (bounded) and send again, or leave it for later. */
async function notApplied(ctx: DriveContext, intent: WriteIntent, outcome: Extract<CreateOutcome, { kind: 'not-applied' }>, budget: Budget): Promise<Step> {
  const plan = planRetry(outcome.retryAfter, budget.sends, Date.now(), ctx.options.retry);
  const code = outcome.reason === 'unreachable' ? 'ehr_unreachable' : 'ehr_busy';
  const text = outcome.reason === 'unreachable' ? 'The EHR could not be reached; nothing was filed yet.' : 'The EHR asked the app to wait; nothing was filed yet.';
  const back = await move(ctx, intent, 'not-applied', { nextAttemptInMs: plan.ms, lastError: { code, text } });
  if (back === 'stop' || plan.kind === 'later') {
    return 'stop';
  }
  await ctx.ledger.acquireLease(intent.id, ctx.owner, plan.ms + ctx.options.leaseMs);
  return (await pause(plan.ms, ctx.signal)) ? back : 'stop';
}

/** 401: refresh once and send once more; a second 401 needs a relaunch, which resumes this intent (H4). */
async function unauthorized(ctx: DriveContext, io: DriveIo, intent: WriteIntent, budget: Budget): Promise<Step> {
  const relaunch = { code: 'relaunch_needed', text: 'The EHR session ended before the note was filed. Launch the app again from the chart to finish filing.' };
  if (budget.refreshed) {
    await move(ctx, intent, 'not-applied', { lastError: relaunch });
    return 'stop';
  }
  budget.refreshed = true;
  const back = await move(ctx, intent, 'not-applied', { lastError: { code: 'token_refresh', text: 'The EHR asked for a fresh sign-in token.' } });
  if (back === 'stop') {
    return back;
  }
  if (await io.provider.refreshAfterUnauthorized()) {
    return back;
  }
  await move(ctx, back, 'defer', { lastError: relaunch });
  return 'stop';
}

async function step(ctx: DriveContext, io: DriveIo, intent: WriteIntent, budget: Budget): Promise<Step> {
  if (intent.state === 'pending') {
    return intent.lastError?.code === 'relaunch_needed' && budget.refreshed ? 'stop' : send(ctx, io, intent, budget);
  }
  if (intent.state === 'sent' && intent.documentId !== undefined) {
    return confirmCreated(ctx, io, intent);
  }
  return intent.state === 'sent' || intent.state === 'unknown' ? reconcileIntent(ctx, io, intent) : 'stop';
}

/**
 * Drives an intent as far as it can go now.
 * @returns the intent as the ledger has it afterwards (undefined if it does not exist).
 */
export async function driveIntent(ctx: DriveContext, intentId: string): Promise<WriteIntent | undefined> {
  const leased = await ctx.ledger.acquireLease(intentId, ctx.owner, ctx.options.leaseMs);
  if (leased === undefined) {
    return ctx.ledger.get(intentId);
  }
  try {
    const io = ioFor(ctx);
    const budget: Budget = { sends: 0, refreshed: false };
    let current: Step = leased;
    for (let n = 0; n < MAX_STEPS && current !== 'stop' && !isFinal(current.state) && !ctx.signal.aborted; n += 1) {
      await ctx.ledger.acquireLease(intentId, ctx.owner, ctx.options.leaseMs);
      current = await step(ctx, io, current, budget);
    }
  } catch (error) {
    ctx.logger.error('writeback.drive_failed', { intent: intentId.slice(0, 8), error: error instanceof Error ? error.name : 'unknown' });
  } finally {
    await ctx.ledger.releaseLease(intentId, ctx.owner).catch(() => undefined);
  }
  return ctx.ledger.get(intentId);
}
