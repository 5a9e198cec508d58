import type { NextFunction, Request, Response } from 'express';
import { escapeHtml, html, renderPage as renderAppPage, SafeHtml } from '../http/html';

/**
 * The sandbox's pages use the app's one escaper and page shell, with the sandbox's own stylesheet and title (so a
 * tester never mistakes the simulated EHR for the app). Re-exported here so the sandbox's page modules keep one
 * import.
 */
export { escapeHtml };

/** The sandbox's page shell. `body` must already be escaped HTML (the sandbox pages build it with `escapeHtml`). */
export function renderPage(title: string, body: string, options: { script?: boolean } = {}): string {
  return renderAppPage({
    title,
    body: new SafeHtml(body),
    stylesheet: '/sandbox/sandbox.css',
    scripts: options.script === true ? ['/sandbox/simulator.js'] : [],
    site: null,
  });
}

/** An error page: used where a real EHR shows the user a message instead of redirecting (bad client or redirect_uri). */
export function renderErrorPage(status: number, message: string): string {
  return renderPage(
    'Sandbox EHR: error',
    html`<main class="card"><h1>Request refused (${status})</h1><p class="error">${message}</p></main>`.value,
  );
}

/**
 * Security headers for every sandbox response. `frame-src` allows the app's origin (the embedded launch) and the
 * sandbox itself (inside the frame the app redirects to the sandbox's authorize endpoint and back),
 * `form-action` the registered app origins (forms end in redirects to them), and `frame-ancestors 'self'`
 * lets the sandbox frame its own pages but nobody else frame them.
 */
export function securityHeaders(appOrigins: string[]): (req: Request, res: Response, next: NextFunction) => void {
  const origins = [...new Set(appOrigins)].join(' ');
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    `frame-src 'self' ${origins}`,
    "frame-ancestors 'self'",
    `form-action 'self' ${origins}`,
  ].join('; ');
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}

/** Sends an HTML page that must never be cached (it may carry launch tokens or CSRF tokens). */
export function sendHtml(res: Response, status: number, html: string): void {
  res.status(status).setHeader('Cache-Control', 'no-store').type('html').send(html);
}
