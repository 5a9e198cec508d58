import crypto from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';

/**
 * The browser session: one opaque random id in a cookie, nothing else. It binds OAuth `state` and launch ids to
 * the browser that started them; all tokens stay in the server's store.
 *
 * `__Host-` + Secure + Path=/ pins the cookie to this origin; SameSite=None + Partitioned (CHIPS) keeps it working
 * when an EHR frames the app (Epic Hyperspace, Oracle PowerChart) and third-party cookies are blocked, without
 * sharing it with any other top-level site. SameSite=None drops the browser's CSRF protection, so every
 * state-changing route checks a CSRF token and the Origin header (see csrf.ts).
 */
export const BROWSER_SESSION_COOKIE = '__Host-itdd_sid';
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Every attribute of the session cookie (see above). `__Host-` requires Secure, Path=/ and no Domain; the browser
 * refuses the cookie otherwise, so these are not options.
 */
const COOKIE_ATTRIBUTES = { path: '/', secure: true, httpOnly: true, sameSite: 'none', partitioned: true } as const;

/**
 * The `cookie` package parses the header (RFC 6265 pairs, first of duplicate names wins) and never throws on a
 * malformed header: a pair without `=` is skipped and a bad %-escape is left as it is. The value is then held to
 * the id's exact shape, so whatever the header carried, only a well-formed id is ever looked up.
 */
function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  return header === undefined ? undefined : parse(header)[name];
}

/** The browser session id from the request, if it carries a well-formed one. */
export function browserSessionId(req: Request): string | undefined {
  const value = readCookie(req, BROWSER_SESSION_COOKIE);
  return value !== undefined && ID_PATTERN.test(value) ? value : undefined;
}

/** Returns the request's browser session id, creating one (and its cookie) when there is none. */
export function ensureBrowserSession(req: Request, res: Response): string {
  return browserSessionId(req) ?? issueBrowserSession(res);
}

/**
 * A new browser session id and its cookie. The callback calls it once the sign-in succeeded: whatever id the browser
 * arrived with — possibly one an attacker chose and planted — is replaced by one the server made after the sign-in.
 */
export function issueBrowserSession(res: Response): string {
  const id = crypto.randomBytes(32).toString('base64url');
  res.append('Set-Cookie', serialize(BROWSER_SESSION_COOKIE, id, COOKIE_ATTRIBUTES));
  return id;
}
