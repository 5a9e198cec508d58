/**
 * Server-rendered HTML: every value from outside goes through `escapeHtml` (OWASP XSS cheat sheet: encode for the
 * HTML body and quoted attributes), and pages carry no inline script, so the CSP can forbid it.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Tagged template that escapes every interpolated value unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function renderValue(value: unknown): string {
  return value instanceof SafeHtml ? value.value : escapeHtml(value ?? '');
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const rendered = Array.isArray(value) ? value.map(renderValue).join('') : renderValue(value);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  meta?: Record<string, string>;
  scripts?: string[];
}

export function renderPage(options: PageOptions): string {
  const meta = Object.entries(options.meta ?? {}).map(([name, content]) => html`<meta name="${name}" content="${content}">`);
  const scripts = (options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${meta}
<title>${options.title} · ITDD Consent</title>
<link rel="stylesheet" href="/assets/app.css">
${scripts}
</head>
<body>
${options.body}
</body>
</html>`.value;
}
