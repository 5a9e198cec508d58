import type { NextFunction, Request, Response } from 'express';

/** Escapes text for HTML element content and quoted attribute values. Everything from data or requests goes through it. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The sandbox's page shell. `body` must already be escaped HTML. Styles and scripts are same-origin files so the
 * CSP can forbid inline code entirely.
 */
export function renderPage(title: string, body: string, options: { script?: boolean } = {}): string {
  const script = options.script === true ? '<script src="/sandbox/simulator.js" defer></script>' : '';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="stylesheet" href="/sandbox/sandbox.css">',
    script,
    '</head><body>',
    body,
    '</body></html>',
  ].join('\n');
}

/** An error page: used where a real EHR shows the user a message instead of redirecting (bad client or redirect_uri). */
export function renderErrorPage(status: number, message: string): string {
  return renderPage(
    'Sandbox EHR: error',
    `<main class="card"><h1>Request refused (${status})</h1><p class="error">${escapeHtml(message)}</p></main>`,
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
