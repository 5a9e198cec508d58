import crypto from 'node:crypto';

/**
 * PKCE (RFC 7636) as SMART App Launch 2.2 requires it: S256 only, `plain` refused.
 * See https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#considerations-for-pkce-support.
 */

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** base64url of a SHA-256 digest: exactly 43 characters, no padding. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isValidCodeVerifier(verifier: unknown): verifier is string {
  return typeof verifier === 'string' && CODE_VERIFIER.test(verifier);
}

export function isValidS256Challenge(challenge: unknown): challenge is string {
  return typeof challenge === 'string' && S256_CHALLENGE.test(challenge);
}

/** base64url(SHA-256(verifier)). */
export function s256Challenge(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Whether the verifier at the token endpoint proves possession of the challenge sent at authorization. */
export function verifierMatchesChallenge(verifier: unknown, challenge: string): boolean {
  if (!isValidCodeVerifier(verifier)) {
    return false;
  }
  const expected = Buffer.from(challenge, 'ascii');
  const actual = Buffer.from(s256Challenge(verifier), 'ascii');
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
