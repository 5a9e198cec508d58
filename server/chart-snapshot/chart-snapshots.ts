/**
 * The chart a launch works from. It is read once, right after the token (`takeChartSnapshot`, from the callback),
 * kept sealed with the launch, and every API — context, discussion, handout, PDF, filing — works from that copy
 * (`chartSnapshotOf`). The chart is read again only when the clinician asks ("Refresh from the chart"), so an EHR
 * answering one clinician pays one read wave per launch, not one per click.
 */
import type { AuditTrail } from '../audit/audit-trail';
import { launchRecord } from '../audit/launch-audit';
import type { PatientContext } from '../chart/patient-context';
import { reasonOf } from '../errors';
import type { AccessTokenDeps } from '../launch/access-token';
import type { LaunchSession } from '../store/launch-sessions';
import { readPatientContext } from './read-snapshot';
import type { ChartReadRef, ChartSnapshot, ChartSnapshotStore } from './snapshot-store';

export interface ChartSnapshotDeps {
  snapshots: ChartSnapshotStore;
  tokens: AccessTokenDeps;
  /** Each read of the chart is audited (resource types and outcomes, no content) before its result is used. */
  audit: AuditTrail;
  /** The clock; tests pass their own. */
  now?: () => Date;
}

/** Reads the chart now (one parallel wave) and keeps it as the launch's snapshot. */
export async function takeChartSnapshot(deps: ChartSnapshotDeps, launch: LaunchSession): Promise<ChartSnapshot> {
  const now = deps.now?.() ?? new Date();
  let context: PatientContext;
  try {
    context = await readPatientContext(deps.tokens, launch, now);
  } catch (error) {
    await deps.audit.append(launchRecord(launch, 'chart.read', 'failure', { reason: reasonOf(error) }));
    throw error;
  }
  const outcomes: Record<string, string | number> = Object.fromEntries(Object.entries(context.reads).map(([read, state]) => [read, state.state]));
  const failed = Object.values(context.reads).some((r) => r.state === 'failed' || r.state === 'not-authorized');
  if (context.foreignResources !== undefined) {
    // Another patient's records in this patient's answers: dropped from the chart, and raised as a security event
    // (counted, never described: the records are someone else's PHI).
    outcomes.foreignResourcesIgnored = context.foreignResources;
    deps.tokens.logger.warn('chart.foreign_resources_ignored', { tenant: launch.tenantId, count: context.foreignResources });
  }
  await deps.audit.append(launchRecord(launch, 'chart.read', failed ? 'failure' : 'success', { detail: outcomes }));
  return deps.snapshots.save(launch.launchId, context, deps.now?.() ?? new Date());
}

/**
 * The launch's snapshot. A launch has one from its callback; one that has none (its first read was cut short, or it
 * began before this version) is read once here and kept, so even then the chart is read once per launch.
 */
export async function chartSnapshotOf(deps: ChartSnapshotDeps, launch: LaunchSession): Promise<ChartSnapshot> {
  return (await deps.snapshots.get(launch.launchId)) ?? takeChartSnapshot(deps, launch);
}

export const chartReadOf = (snapshot: ChartSnapshot): ChartReadRef => ({ readAt: snapshot.readAt.toISOString(), sha256: snapshot.sha256 });
