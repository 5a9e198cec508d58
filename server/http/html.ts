/**
 * Server-rendered HTML: the one escaper and the one page shell for the app, the sandbox EHR and the handout.
 *
 * Every value from outside goes through `escapeHtml` (OWASP XSS Prevention Cheat Sheet, rule #1 and #2: encode
 * `& < > " '` for the HTML body and for *quoted* attribute values — every attribute in our templates is quoted;
 * an unquoted attribute, a URL scheme, a `<script>` or `<style>` body are contexts this escaper does not make
 * safe, and our pages have none with outside data in them). Pages carry no inline script, so the CSP can forbid it.
 *
 * Hand-written rather than a library: the escaper is five replacements that the cheat sheet fixes exactly, and
 * the tagged template (escape by default, `SafeHtml` to opt out) is what makes forgetting to escape hard; the
 * template libraries that do this (lit-html, htm) are client-side renderers, not string builders for a server.
 */

import { versionedAssetUrl } from './asset-urls';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. `null`/`undefined` are the text "null"/"undefined"; the `html` template renders them as nothing. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Markup that is already safe: built by the `html` template (its values escaped) or by trusted code. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A value in the template: `SafeHtml` as it is, arrays (nested too) joined without separators, nullish as nothing, anything else escaped. */
function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) {
    return value.value;
  }
  if (Array.isArray(value)) {
    return value.map(renderValue).join('');
  }
  return value === null || value === undefined ? '' : escapeHtml(value);
}

/** Tagged template that escapes every interpolated value unless it is already `SafeHtml`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  meta?: Record<string, string>;
  /** Same-origin script URLs, loaded with `defer` (the CSP allows only 'self'). */
  scripts?: string[];
  /** The page's stylesheet: the app's by default; the sandbox EHR has its own look so nobody mistakes it for the app. */
  stylesheet?: string;
  /** Appended to the title ("Problem · ITDD Consent"); `null` for pages that are not the app's (the sandbox EHR). */
  site?: string | null;
}

const APP_SITE = 'ITDD Consent';
const APP_STYLESHEET = '/assets/app.css';

export function renderPage(options: PageOptions): string {
  const meta = Object.entries(options.meta ?? {}).map(([name, content]) => html`<meta name="${name}" content="${content}">`);
  const scripts = (options.scripts ?? []).map((src) => html`<script src="${versionedAssetUrl(src)}" defer></script>`);
  const site = options.site === undefined ? APP_SITE : options.site;
  const title = site === null ? options.title : `${options.title} · ${site}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${meta}
<title>${title}</title>
<link rel="stylesheet" href="${versionedAssetUrl(options.stylesheet ?? APP_STYLESHEET)}">
${scripts}
</head>
<body>
${options.body}
</body>
</html>`.value;
}
