/** The write profiles by name: the one place that maps a tenant's profile to its builder and its rules. */
import { epicProfile } from './epic';
import { oracleProfile } from './oracle';
import type { WriteProfile, WriteProfileSpec } from './types';
import { usCoreProfile } from './us-core';

const PROFILE_SPECS: Readonly<Record<WriteProfile, WriteProfileSpec>> = {
  'us-core': usCoreProfile,
  epic: epicProfile,
  oracle: oracleProfile,
};

/** The spec of a profile; undefined for a name that is not one (profiles can come from configuration). */
export function profileSpec(profile: WriteProfile): WriteProfileSpec | undefined {
  return Object.hasOwn(PROFILE_SPECS, profile) ? PROFILE_SPECS[profile] : undefined;
}
