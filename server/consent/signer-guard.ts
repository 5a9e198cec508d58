/**
 * The server-side check of who may attest and file (the browser only greys the buttons out: the decision is here).
 * The user's qualifications come from the launch's chart snapshot (their record is read with the chart, once per
 * launch), the policy from the tenant's configuration.
 */
import type { RequestHandler } from 'express';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import type { AttestationPolicy } from '../config';
import { forbidden } from '../errors';
import { launchOf } from '../launch/session-guard';
import type { LaunchSession } from '../store/launch-sessions';
import type { AuditTrail } from '../audit/audit-trail';
import { launchRecord } from '../audit/launch-audit';
import type { Permissions } from './signer-role';
import { permissionsOf } from './signer-role';

export interface SignerDeps {
  chart: ChartSnapshotDeps;
  /** A refusal is recorded: who tried to attest or file without the role. */
  audit: AuditTrail;
  /** The attestation policy of a tenant (its configuration, or the default). */
  attestationPolicy(tenantId: string): AttestationPolicy;
}

export async function permissionsOfLaunch(deps: SignerDeps, launch: LaunchSession): Promise<Permissions> {
  const { context } = await chartSnapshotOf(deps.chart, launch);
  return permissionsOf(deps.attestationPolicy(launch.tenantId), launch.fhirUser, context.practitioner, context.reads.practitioner);
}

/** Refuses (403 `role_may_not_attest`, with the reason in words) a user whose role may not attest or file. */
export function requireSigner(deps: SignerDeps, action: 'attest' | 'file'): RequestHandler {
  return async (_req, res, next) => {
    const launch = launchOf(res);
    const permissions = await permissionsOfLaunch(deps, launch);
    if (!permissions[action]) {
      await deps.audit.append(launchRecord(launch, 'discussion.refused', 'refused', { reason: 'role_may_not_attest', detail: { tried: action, roles: permissions.roles.join('+') || 'none' } }));
      throw forbidden(permissions.reason ?? 'You may not do this.', {
        hint: 'You can still prepare the checklist and print the handout; everything entered is kept for the clinician who attests.',
        details: { reason: 'role_may_not_attest', roles: permissions.roles },
      });
    }
    next();
  };
}
