/**
 * What the EHR granted, read from the token response's `scope` (SMART: it "can be different from the scopes
 * requested", and apps "should examine the granted scopes"). Both spellings SMART allows are read: v1
 * `patient/DocumentReference.write|*` and v2 `patient/DocumentReference.c…` (a v2 scope may carry a `?query`
 * constraint, which the EHR enforces). Only `patient/` and `user/` scopes count: this is a user's launch.
 */
const RESOURCE_SCOPE = /^(patient|user)\/([A-Z][A-Za-z]{0,63}|\*)\.([a-z*]{1,5})(\?\S*)?$/;
const V2_PERMISSIONS = /^c?r?u?d?s?$/;

/**
 * Whether the grant lets the app create resources of `resourceType`. A token response without `scope` is taken,
 * as RFC 6749 §5.1 says, as granting what was asked.
 */
export function grantsCreate(grantedScope: string, resourceType: string): boolean {
  const scopes = grantedScope.split(/\s+/).filter((s) => s !== '');
  if (scopes.length === 0) {
    return true;
  }
  return scopes.some((scope) => {
    const match = RESOURCE_SCOPE.exec(scope);
    if (match === null || (match[2] !== resourceType && match[2] !== '*')) {
      return false;
    }
    const permissions = match[3] ?? '';
    if (match[4] === undefined && (permissions === 'write' || permissions === '*')) {
      return true;
    }
    return V2_PERMISSIONS.test(permissions) && permissions.includes('c');
  });
}
