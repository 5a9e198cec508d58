import { escapeHtml, html, renderPage, SafeHtml } from '../../server/http/html';
import { escapeHtml as sandboxEscapeHtml, renderErrorPage, renderPage as renderSandboxPage } from '../../server/sandbox/html';

describe('escapeHtml', () => {
  test.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
  ])('encodes %s as %s', (raw, encoded) => {
    expect(escapeHtml(raw)).toBe(encoded);
    expect(escapeHtml(`a${raw}b${raw}`)).toBe(`a${encoded}b${encoded}`);
  });

  test('encodes an ampersand once, so existing entities are shown as typed, not decoded', () => {
    expect(escapeHtml('&lt;b&gt; &amp;')).toBe('&amp;lt;b&amp;gt; &amp;amp;');
  });

  test('leaves other text, including non-ASCII, as it is', () => {
    expect(escapeHtml('Ñúñez — 5 mg/day = ok `x` \\ /')).toBe('Ñúñez — 5 mg/day = ok `x` \\ /');
  });

  test('renders non-strings as text', () => {
    expect(escapeHtml(42)).toBe('42');
    expect(escapeHtml(false)).toBe('false');
    expect(escapeHtml({ toString: () => '<x>' })).toBe('&lt;x&gt;');
  });

  test('is the one escaper: the sandbox uses the same function', () => {
    expect(sandboxEscapeHtml).toBe(escapeHtml);
  });
});

describe('html template', () => {
  test('escapes values in element content', () => {
    expect(html`<p>${'<script>alert(1)</script>'}</p>`.value).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  test('escapes values in quoted attributes, so a value cannot close the attribute', () => {
    expect(html`<a title="${'" onmouseover="x'}">`.value).toBe('<a title="&quot; onmouseover=&quot;x">');
    expect(html`<a title='${"' onmouseover='x"}'>`.value).toBe("<a title='&#39; onmouseover=&#39;x'>");
    expect(html`<input value="${'"><img src=x onerror=alert(1)>'}">`.value).toBe(
      '<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">',
    );
  });

  test('keeps nested templates as markup and escapes their values once', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>&lt;i&gt;</b></p>');
    expect(html`<div>${html`<p>${html`<span>${'&'}</span>`}</p>`}</div>`.value).toBe('<div><p><span>&amp;</span></p></div>');
  });

  test('joins arrays without separators, escaping strings and keeping templates', () => {
    const items = ['<a>', 'b&c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>');
    expect(html`<p>${['<', '>']}</p>`.value).toBe('<p>&lt;&gt;</p>');
  });

  test('flattens nested arrays the same way', () => {
    expect(html`${[['<a>', html`<b>`], [[html`<c>`, '"']]]}`.value).toBe('&lt;a&gt;<b><c>&quot;');
  });

  test('renders null and undefined as nothing, numbers and booleans as text', () => {
    expect(html`[${null}][${undefined}][${0}][${false}]`.value).toBe('[][][0][false]');
  });

  test('a SafeHtml built by hand is kept as it is (the opt-out is explicit)', () => {
    expect(html`${new SafeHtml('<br>')}`.value).toBe('<br>');
    expect(String(html`<p>${'x'}</p>`)).toBe('<p>x</p>');
  });

  test('leaves the literal parts alone', () => {
    expect(html`<p class="a">&nbsp;</p>`.value).toBe('<p class="a">&nbsp;</p>');
  });
});

describe('renderPage', () => {
  test('the app shell: title with the app name, the app stylesheet, no inline script, escaped meta and script URLs', () => {
    const page = renderPage({
      title: 'A <b> & "c"',
      body: html`<main>${'<x>'}</main>`,
      meta: { 'itdd-launch': '"><script>' },
      scripts: ['/assets/app.js?"x'],
    });
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<title>A &lt;b&gt; &amp; &quot;c&quot; · ITDD Consent</title>');
    expect(page).toMatch(/<link rel="stylesheet" href="\/assets\/app\.css\?v=[0-9a-f]{12}">/);
    expect(page).toContain('<meta name="itdd-launch" content="&quot;&gt;&lt;script&gt;">');
    expect(page).toContain('<script src="/assets/app.js?&quot;x" defer></script>');
    expect(page).toContain('<meta name="referrer" content="no-referrer">');
    expect(page).toContain('<main>&lt;x&gt;</main>');
    expect(page.match(/<script/g)).toHaveLength(1);
  });

  test('the sandbox shell is the same page with its own stylesheet, script and a title without the app name', () => {
    const page = renderSandboxPage('Sandbox EHR: <sign in>', '<main class="card">ok</main>', { script: true });
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<title>Sandbox EHR: &lt;sign in&gt;</title>');
    expect(page).toContain('<link rel="stylesheet" href="/sandbox/sandbox.css">');
    expect(page).toContain('<script src="/sandbox/simulator.js" defer></script>');
    expect(page).toContain('<main class="card">ok</main>');
    expect(page).not.toContain('ITDD Consent');
    expect(page).not.toContain('/assets/app.css');
    expect(renderSandboxPage('x', '<p></p>')).not.toContain('<script');
  });

  test('the sandbox error page escapes its message', () => {
    const page = renderErrorPage(400, 'redirect_uri "<bad>" & not registered');
    expect(page).toContain('<h1>Request refused (400)</h1>');
    expect(page).toContain('<p class="error">redirect_uri &quot;&lt;bad&gt;&quot; &amp; not registered</p>');
  });
});
