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
import { grantsCreate } from '../launch/granted-scopes';
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

/** Said instead of the filing button when the EHR did not grant the note's write (the user narrowed the scopes, or the registration lacks it). */
const FILE_SCOPE_NOT_GRANTED = 'The EHR did not give this launch permission to file notes to the chart (DocumentReference), so the note cannot be filed from here. You can still complete and attest the discussion and print the handout; if filing should be possible, ask your EHR analyst to check the app\'s scopes.';

const filingGranted = (launch: LaunchSession): boolean => grantsCreate(typeof launch.context.grantedScope === 'string' ? launch.context.grantedScope : '', 'DocumentReference');

export async function permissionsOfLaunch(deps: SignerDeps, launch: LaunchSession): Promise<Permissions> {
  const { context } = await chartSnapshotOf(deps.chart, launch);
  const permissions = permissionsOf(deps.attestationPolicy(launch.tenantId), launch.fhirUser, context.practitioner, context.reads.practitioner);
  return permissions.file && !filingGranted(launch) ? { ...permissions, file: false, reason: FILE_SCOPE_NOT_GRANTED } : permissions;
}

/** Refuses (403 `role_may_not_attest`, with the reason in words) a user whose role may not attest or file. */
export function requireSigner(deps: SignerDeps, action: 'attest' | 'file'): RequestHandler {
  return async (_req, res, next) => {
    const launch = launchOf(res);
    const permissions = await permissionsOfLaunch(deps, launch);
    if (!permissions[action]) {
      // The role is checked first: a nurse is told about her role, not about scopes she could not use anyway.
      const reason = permissions.attest && action === 'file' && !filingGranted(launch) ? 'scope_not_granted' : 'role_may_not_attest';
      await deps.audit.append(launchRecord(launch, 'discussion.refused', 'refused', { reason, detail: { tried: action, roles: permissions.roles.join('+') || 'none' } }));
      throw forbidden(permissions.reason ?? 'You may not do this.', {
        hint: reason === 'scope_not_granted'
          ? 'Everything entered is kept; the handout can still be printed.'
          : 'You can still prepare the checklist and print the handout; everything entered is kept for the clinician who attests.',
        details: { reason, roles: permissions.roles },
      });
    }
    next();
  };
}
