/**
 * Which DocumentReference write profile a launch files with (ARCHITECTURE.md §5): the tenant's configured vendor —
 * epic → `epic`, oracle → `oracle`, a generic server → `us-core`. The embedded sandbox EHR is one tenant that
 * behaves like any of the three per launch (its simulator's "EHR behaviour"), and says which in the token response
 * (`sandbox_vendor`, kept as the launch context's `sandboxVendor`); only the sandbox tenant's launches may choose
 * their profile that way.
 */
import type { WriteProfile } from '../../fhir-resources/document-reference';
import type { AppConfig, TenantConfig, Vendor } from '../config';
import { AppError } from '../errors';
import type { LaunchSession } from '../store/launch-sessions';

const PROFILE_BY_VENDOR: Readonly<Record<Vendor, WriteProfile>> = { epic: 'epic', oracle: 'oracle', generic: 'us-core' };

/** The id `config.ts` gives the embedded sandbox EHR's tenant. */
const SANDBOX_TENANT_ID = 'sandbox';

function isVendor(value: unknown): value is Vendor {
  return typeof value === 'string' && Object.hasOwn(PROFILE_BY_VENDOR, value);
}

export function tenantOf(config: AppConfig, launch: LaunchSession): TenantConfig {
  const tenant = config.tenants.find((t) => t.id === launch.tenantId);
  if (tenant === undefined) {
    throw new AppError('unauthorized', 'The EHR this launch came from is no longer configured.', {
      hint: 'Launch the app again from the chart.',
      details: { reason: 'tenant_gone' },
    });
  }
  return tenant;
}

export function writeProfileFor(config: AppConfig, tenant: TenantConfig, launch: LaunchSession): WriteProfile {
  const simulated = launch.context.sandboxVendor;
  const sandbox = config.sandbox.enabled && tenant.id === SANDBOX_TENANT_ID;
  return PROFILE_BY_VENDOR[sandbox && isVendor(simulated) ? simulated : tenant.vendor];
}
