import type { RequestHandler } from 'express';

/**
 * Security headers, each with its reason. Not helmet's defaults: an EHR frames this app, so framing is allowed for
 * the configured EHR origins only (CSP frame-ancestors supersedes X-Frame-Options, which cannot name origins).
 */
/**
 * Who may frame a page: this app and the configured EHR origins. frame-ancestors is checked against every ancestor,
 * so a document the app frames itself (the handout preview) must allow the EHR that frames the app as well.
 */
export function frameAncestorsDirective(frameOrigins: readonly string[]): string {
  // Tenants often share an EHR web client (the sandbox's three tenants share one): each origin is named once.
  return `frame-ancestors 'self' ${[...new Set(frameOrigins)].join(' ')}`.trim();
}

export function securityHeaders(frameAncestors: readonly string[]): RequestHandler {
  const csp = [
    "default-src 'self'",
    "script-src 'self'", // no inline script: chart data can never become code
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    frameAncestorsDirective(frameAncestors),
  ].join('; ');
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff', // no MIME sniffing of served files
      'Referrer-Policy': 'no-referrer', // launch and callback URLs must not leak to other sites
      'Cross-Origin-Resource-Policy': 'same-origin', // our assets are for our pages only
      'Cross-Origin-Opener-Policy': 'same-origin-allow-popups', // EHRs may keep window handles to the app
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=()', // the app needs none of these
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains', // ignored on http://localhost
    });
    res.removeHeader('X-Powered-By');
    next();
  };
}
