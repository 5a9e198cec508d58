import crypto from 'node:crypto';
import { isValidCodeVerifier, isValidS256Challenge, s256Challenge, verifierMatchesChallenge } from '../../server/sandbox/auth/pkce';

describe('PKCE S256', () => {
  it('computes the RFC 7636 appendix B example', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('accepts the verifier that produced the challenge and nothing else', () => {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = s256Challenge(verifier);
    expect(verifierMatchesChallenge(verifier, challenge)).toBe(true);
    expect(verifierMatchesChallenge(crypto.randomBytes(32).toString('base64url'), challenge)).toBe(false);
    expect(verifierMatchesChallenge(challenge, challenge)).toBe(false);
    expect(verifierMatchesChallenge(undefined, challenge)).toBe(false);
    expect(verifierMatchesChallenge('', challenge)).toBe(false);
  });

  it('checks verifier syntax: 43 to 128 unreserved characters', () => {
    expect(isValidCodeVerifier('a'.repeat(43))).toBe(true);
    expect(isValidCodeVerifier('a'.repeat(128))).toBe(true);
    expect(isValidCodeVerifier('a'.repeat(42))).toBe(false);
    expect(isValidCodeVerifier('a'.repeat(129))).toBe(false);
    expect(isValidCodeVerifier(`${'a'.repeat(42)}~`)).toBe(true);
    expect(isValidCodeVerifier(`${'a'.repeat(42)}+`)).toBe(false);
    expect(isValidCodeVerifier(42)).toBe(false);
  });

  it('checks challenge syntax: a 43-character base64url SHA-256 digest', () => {
    expect(isValidS256Challenge(s256Challenge('x'.repeat(50)))).toBe(true);
    expect(isValidS256Challenge('short')).toBe(false);
    expect(isValidS256Challenge(`${'a'.repeat(42)}=`)).toBe(false);
    expect(isValidS256Challenge(undefined)).toBe(false);
  });
});
