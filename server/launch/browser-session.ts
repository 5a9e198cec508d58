import crypto from 'node:crypto';
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

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** The browser session id from the request, if it carries a well-formed one. */
export function browserSessionId(req: Request): string | undefined {
  const value = readCookie(req, BROWSER_SESSION_COOKIE);
  return value !== undefined && ID_PATTERN.test(value) ? value : undefined;
}

/** Returns the request's browser session id, creating one (and its cookie) when there is none. */
export function ensureBrowserSession(req: Request, res: Response): string {
  const existing = browserSessionId(req);
  if (existing !== undefined) {
    return existing;
  }
  const id = crypto.randomBytes(32).toString('base64url');
  res.append('Set-Cookie', `${BROWSER_SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned`);
  return id;
}
