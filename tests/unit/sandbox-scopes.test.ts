import { grantScopes, parseResourceScope, scopesPermitting, splitScopes, wantsRefreshToken } from '../../server/sandbox/auth/scopes';

const perms = (raw: string): string[] => [...(parseResourceScope(raw)?.permissions ?? [])].sort();

describe('parseResourceScope', () => {
  it('reads v2 permissions in c-r-u-d-s order', () => {
    expect(parseResourceScope('patient/Observation.rs')).toMatchObject({ context: 'patient', resourceType: 'Observation', version: 'v2' });
    expect(perms('patient/Observation.rs')).toEqual(['r', 's']);
    expect(perms('user/DocumentReference.c')).toEqual(['c']);
    expect(perms('patient/*.cruds')).toEqual(['c', 'd', 'r', 's', 'u']);
  });

  it('maps v1 read, write and * to their v2 equivalents', () => {
    expect(perms('patient/Observation.read')).toEqual(['r', 's']);
    expect(perms('patient/DocumentReference.write')).toEqual(['c', 'd', 'u']);
    expect(perms('user/*.*')).toEqual(['c', 'd', 'r', 's', 'u']);
    expect(parseResourceScope('patient/Observation.read')?.version).toBe('v1');
  });

  it('rejects out-of-order, repeated or unknown permissions and malformed scopes', () => {
    for (const raw of [
      'patient/Observation.sr',
      'patient/Observation.rr',
      'patient/Observation.x',
      'patient/Observation.',
      'patient/observation.rs',
      'admin/Observation.rs',
      'patient/Observation.rs?category=laboratory',
      'launch',
      'patient/Observation.rs extra',
    ]) {
      expect(parseResourceScope(raw)).toBeUndefined();
    }
  });
});

describe('splitScopes', () => {
  it('splits on any whitespace, drops duplicates and bounds the count', () => {
    expect(splitScopes(' launch\topenid  launch\npatient/Patient.r ')).toEqual(['launch', 'openid', 'patient/Patient.r']);
    const many = Array.from({ length: 500 }, (_, i) => `s${i}`).join(' ');
    expect(splitScopes(many)).toHaveLength(100);
  });
});

describe('grantScopes', () => {
  it('keeps known context scopes and valid resource scopes, drops the rest', () => {
    expect(grantScopes(['launch', 'openid', 'bogus', 'patient/Observation.rs', 'patient/Observation.sr'], [])).toEqual([
      'launch',
      'openid',
      'patient/Observation.rs',
    ]);
  });

  it('removes explicit scopes for denied types but keeps wildcards', () => {
    expect(grantScopes(['patient/Observation.rs', 'patient/Condition.rs', 'patient/*.rs'], ['Observation'])).toEqual([
      'patient/Condition.rs',
      'patient/*.rs',
    ]);
  });
});

describe('scopesPermitting and helpers', () => {
  const granted = ['launch', 'patient/Observation.rs', 'patient/*.r', 'user/Practitioner.r', 'patient/DocumentReference.c'];

  it('finds the scopes that allow an interaction on a type, wildcard included', () => {
    expect(scopesPermitting(granted, 'Observation', 's').map((s) => s.raw)).toEqual(['patient/Observation.rs']);
    expect(scopesPermitting(granted, 'Condition', 'r').map((s) => s.raw)).toEqual(['patient/*.r']);
    expect(scopesPermitting(granted, 'Condition', 's')).toEqual([]);
    expect(scopesPermitting(granted, 'DocumentReference', 'c').map((s) => s.raw)).toEqual(['patient/DocumentReference.c']);
    expect(scopesPermitting(granted, 'Practitioner', 'r').map((s) => s.context)).toEqual(['patient', 'user']);
  });

  it('knows when a refresh token was asked for', () => {
    expect(wantsRefreshToken(['online_access'])).toBe(true);
    expect(wantsRefreshToken(['offline_access'])).toBe(true);
    expect(wantsRefreshToken(['openid'])).toBe(false);
  });
});
