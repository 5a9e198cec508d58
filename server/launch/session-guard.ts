import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { forbidden } from '../errors';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import { browserSessionId } from './browser-session';
import { relaunchNeeded } from './launch-errors';

/**
 * Per-launch access: the launch id travels in the path (so two charts in one browser never share a patient) and is
 * honoured only with the browser-session cookie that started it.
 */
const LAUNCH_ID = /^[A-Za-z0-9_-]{16,64}$/;

export function requireLaunch(store: LaunchSessionStore): RequestHandler {
  return async (req: Request, res: Response, next) => {
    const launchId = req.params.launchId;
    const browser = browserSessionId(req);
    const session =
      typeof launchId === 'string' && LAUNCH_ID.test(launchId) && browser !== undefined
        ? await store.get(launchId, browser)
        : undefined;
    if (session === undefined) {
      throw relaunchNeeded('This ITDD Consent session has ended or belongs to another window.', 'launch_unknown');
    }
    res.locals.launch = session;
    next();
  };
}

export function launchOf(res: Response): LaunchSession {
  return res.locals.launch as LaunchSession;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

/**
 * CSRF defence for state-changing routes (the cookie is SameSite=None so EHR frames work): the request must come
 * from the app's own origin and carry the launch's CSRF token in a header a cross-site form cannot set.
 */
export function requireCsrf(appBaseUrl: string): RequestHandler {
  const appOrigin = new URL(appBaseUrl).origin;
  return (req, res, next) => {
    const token = req.get('x-csrf-token') ?? '';
    if (req.get('origin') !== appOrigin || !sameSecret(token, launchOf(res).csrfToken)) {
      throw forbidden('This request did not come from the ITDD Consent page, so it was refused.', {
        details: { reason: 'csrf' },
      });
    }
    next();
  };
}
