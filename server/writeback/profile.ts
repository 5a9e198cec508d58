/**
 * Which DocumentReference write profile a launch files with (ARCHITECTURE.md §5): the tenant's configured vendor —
 * epic → `epic`, oracle → `oracle`, a generic server → `us-core`. Nothing the EHR sends can change it; the embedded
 * sandbox EHR is configured as one tenant per vendor it imitates, each with its own `iss`.
 */
import type { WriteProfile } from '../../fhir-resources/document-reference';
import type { AppConfig, TenantConfig, Vendor } from '../config';
import { AppError } from '../errors';
import type { LaunchSession } from '../store/launch-sessions';

const PROFILE_BY_VENDOR: Readonly<Record<Vendor, WriteProfile>> = { epic: 'epic', oracle: 'oracle', generic: 'us-core' };

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

export function writeProfileFor(tenant: TenantConfig): WriteProfile {
  return PROFILE_BY_VENDOR[tenant.vendor];
}
