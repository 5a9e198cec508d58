/**
 * SMART scope parsing and granting, for both spellings the spec allows:
 * v1 `patient/Observation.read|write|*` and v2 `patient/Observation.cruds` (permissions in c-r-u-d-s order).
 * See https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html.
 */

export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export type ScopeContext = 'patient' | 'user' | 'system';

export interface ResourceScope {
  raw: string;
  context: ScopeContext;
  /** A resource type name, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  version: 'v1' | 'v2';
}

/** Non-resource scopes the sandbox understands and grants as asked. */
export const CONTEXT_SCOPES: ReadonlySet<string> = new Set([
  'launch',
  'launch/patient',
  'launch/encounter',
  'openid',
  'fhirUser',
  'profile',
  'online_access',
  'offline_access',
]);

const V1_PERMISSIONS: Record<string, Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/** v2 letters must appear in this order; "out of order" requests are rejected here (the spec allows that). */
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Z][A-Za-z]{0,63}|\*)\.([a-z*]{1,5})$/;
const MAX_SCOPES = 100;
const MAX_SCOPE_LENGTH = 200;

/** Splits a `scope` parameter on whitespace, dropping duplicates; bounded so a hostile string costs nothing. */
export function splitScopes(scope: string): string[] {
  const parts = scope.split(/\s+/).filter((s) => s.length > 0 && s.length <= MAX_SCOPE_LENGTH);
  return [...new Set(parts)].slice(0, MAX_SCOPES);
}

/**
 * Parses one resource scope. Returns undefined for anything else, including v2 scopes with a search-parameter
 * constraint (`?category=…`): the sandbox does not enforce those, so it does not grant them either.
 */
export function parseResourceScope(raw: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(raw);
  if (match === null) {
    return undefined;
  }
  const [, context, resourceType, suffix] = match as unknown as [string, ScopeContext, string, string];
  const v1 = V1_PERMISSIONS[suffix];
  if (v1 !== undefined) {
    return { raw, context, resourceType, permissions: new Set(v1), version: 'v1' };
  }
  if (!V2_PERMISSIONS.test(suffix) || suffix.length === 0) {
    return undefined;
  }
  return { raw, context, resourceType, permissions: new Set(suffix.split('') as Permission[]), version: 'v2' };
}

/**
 * The scopes a request gets: known context scopes and well-formed resource scopes, minus explicit scopes for the
 * resource types the launch denies (wildcard scopes stay; the FHIR server refuses denied types separately).
 * Like a real EHR, unknown scopes are dropped silently; the app must read the granted `scope`.
 */
export function grantScopes(requested: readonly string[], deniedTypes: readonly string[]): string[] {
  const denied = new Set(deniedTypes);
  return requested.filter((raw) => {
    if (CONTEXT_SCOPES.has(raw)) {
      return true;
    }
    const parsed = parseResourceScope(raw);
    return parsed !== undefined && !denied.has(parsed.resourceType);
  });
}

/** The granted resource scopes that allow `permission` on `resourceType`. */
export function scopesPermitting(
  granted: readonly string[],
  resourceType: string,
  permission: Permission,
): ResourceScope[] {
  return granted
    .map(parseResourceScope)
    .filter(
      (s): s is ResourceScope =>
        s !== undefined && (s.resourceType === '*' || s.resourceType === resourceType) && s.permissions.has(permission),
    );
}

/** A refresh token is issued only when the app asked for one. */
export function wantsRefreshToken(granted: readonly string[]): boolean {
  return granted.includes('online_access') || granted.includes('offline_access');
}
