/**
 * One hardened headless Chromium (Debian's, never a downloaded build) and its pre-opened render pages, for the PDF
 * pool in `pdf.ts`. Hardening follows research security-reliability §5.3:
 *
 * - the content is set with `setContent` (never `goto`, never a `file://` temp file; the only navigation is to the
 *   constant `about:blank`, to reset a page between patients);
 * - JavaScript is switched off *before* any content is loaded, so it takes effect for every document the page
 *   ever holds (https://pptr.dev/api/puppeteer.page.setjavascriptenabled);
 * - request interception is on and **every** request is refused: sub-resources are aborted, navigations (a
 *   `<meta http-equiv=refresh>`, an iframe) are answered with an empty 204 so the current document stays put
 *   instead of committing an error page. Only the scheme and host of what was refused are kept: full URLs could
 *   carry PHI;
 * - no network route at all: Chromium's only proxy is a dead loopback port and no host name resolves, which also
 *   catches the prefetches and preconnects that request interception never sees;
 * - Chromium talks to us over a pipe, not a DevTools port on localhost that another local process could reach;
 * - the profile is a fresh temporary folder, removed when the browser goes.
 *
 * Pages are reused across renders. Isolation between patients holds because a page can create no state at all: no
 * script runs, no response ever arrives (so no cookie, no cache entry, no storage), and after each render the page
 * is reset to a fresh blank document (`reset`). A fresh incognito context or page per render costs a new renderer
 * process each time — several times slower on two cores (see bench-results/latest.md) — for no isolation gained.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, HTTPRequest, Page, PDFOptions } from 'puppeteer';
import puppeteer from 'puppeteer';

/** The discard port on loopback: a connection there is refused (or, at worst, swallowed) and leaves no host. */
const DEAD_PROXY = 'http://127.0.0.1:9';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * Chromium's command line. `--no-sandbox` only when running as root: Chromium refuses to start as root with its
 * sandbox on (the setuid/namespace sandbox cannot drop root's privileges), so root in a dev container must opt
 * out; a production container runs as an unprivileged user and keeps the sandbox, the main barrier if a hostile
 * document ever exploited the renderer.
 */
/** Headless flags for any Chromium the project drives: no GPU, no background calls home (there is no internet). */
export const QUIET_CHROMIUM_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function chromiumArgs(): string[] {
  const args = [
    ...QUIET_CHROMIUM_FLAGS,
    '--disable-extensions',
    '--mute-audio',
    '--hide-scrollbars',
    // Fewer processes for the same work (about 120 MB per browser, bench-results/latest.md): printing needs no GPU,
    // and no request ever leaves (below), so the GPU and network services run inside the browser process; no spare
    // renderer is kept for navigations the pool never makes; and the browser's own UI pages (the address bar's
    // popup, which Chromium preloads in a renderer of its own even when headless) are never built.
    '--in-process-gpu',
    '--enable-features=NetworkServiceInProcess2',
    '--disable-features=SpareRendererForSitePerProcess,PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
    // No route out, even for what request interception never sees: a `<link rel=prefetch>` is fetched by the
    // browser process and `preconnect` or a navigation open sockets before the request is paused (both seen in
    // tests/adversarial/g-pdf-rendering.test.ts without these flags). Everything goes to a proxy where nothing
    // listens (loopback included: "<-loopback>" drops Chromium's implicit bypass) and no name is ever resolved.
    `--proxy-server=${DEAD_PROXY}`,
    '--proxy-bypass-list=<-loopback>',
    '--host-resolver-rules=MAP * ~NOTFOUND',
  ];
  return process.getuid?.() === 0 ? ['--no-sandbox', ...args] : args;
}

export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser (killing it if it does not close within a few seconds) and removes its profile. */
  kill(): Promise<void>;
}

const CLOSE_GRACE_MS = 3000;

export async function launchChromium(): Promise<LaunchedChromium> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-pdf-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      pipe: true,
      userDataDir: profile,
      args: chromiumArgs(),
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return { browser, kill: () => killBrowser(browser, profile) };
}

async function killBrowser(browser: Browser, profile: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS);
  });
  await Promise.race([browser.close().catch(() => undefined), grace]);
  clearTimeout(timer);
  browser.process()?.kill('SIGKILL');
  fs.rmSync(profile, { recursive: true, force: true });
}

/** "https://host:port" or "file:" — what a blocked request tried to reach, without path, query or PHI. */
export function requestTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host === '' ? parsed.protocol : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'invalid-url';
  }
}

export interface PageRenderResult {
  pdf: Buffer;
  blockedRequests: string[];
}

/** A pre-opened page, set up once (JavaScript off, interception on) and reused for one render at a time. */
export class RenderPage {
  private blocked: string[] = [];

  private constructor(readonly page: Page) {}

  static async open(context: BrowserContext): Promise<RenderPage> {
    const page = await context.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    const renderPage = new RenderPage(page);
    page.on('request', (request) => renderPage.refuse(request));
    return renderPage;
  }

  private refuse(request: HTTPRequest): void {
    this.blocked.push(requestTarget(request.url()));
    if (request.isInterceptResolutionHandled()) {
      return;
    }
    const refused = request.isNavigationRequest() ? request.respond({ status: 204, body: '' }) : request.abort('blockedbyclient');
    refused.catch(() => undefined);
  }

  /**
   * Replaces the last document with a new blank one. `setContent` rewrites the page with `document.open()`, which
   * keeps the document's policies: a CSP set by one patient's handout would still apply to the next. Navigating to
   * the constant `about:blank` (never to content) starts a fresh document, and no patient's text lingers in an
   * idle page.
   */
  async reset(timeoutMs: number): Promise<void> {
    await this.page.goto('about:blank', { waitUntil: 'load', timeout: timeoutMs });
    this.blocked = [];
  }

  /** Loads the document (no network: `load` fires as soon as it is parsed) and prints it. */
  async render(html: string, pdfOptions: PDFOptions): Promise<PageRenderResult> {
    this.blocked = [];
    await this.page.setContent(html, { waitUntil: 'load', timeout: pdfOptions.timeout ?? 0 });
    const pdf = await this.page.pdf(pdfOptions);
    return { pdf: Buffer.from(pdf), blockedRequests: [...this.blocked] };
  }
}

/** A pool member: one browser, its incognito context and pages, and the counters the pool recycles it by. */
export class PooledBrowser {
  renders = 0;
  active = 0;
  /** `ready` takes work; `draining` finishes what it has and is then killed; `gone` has been killed or crashed. */
  state: 'ready' | 'draining' | 'gone' = 'ready';
  readonly idlePages: RenderPage[];

  private constructor(
    private readonly chromium: LaunchedChromium,
    pages: RenderPage[],
  ) {
    this.idlePages = [...pages];
  }

  static async launch(pageCount: number): Promise<PooledBrowser> {
    const chromium = await launchChromium();
    try {
      const context = await chromium.browser.createBrowserContext();
      const pages = await Promise.all(Array.from({ length: pageCount }, () => RenderPage.open(context)));
      // The tab Chromium opens at start is never used for rendering: closed, it frees its renderer process.
      await Promise.all((await chromium.browser.defaultBrowserContext().pages()).map((page) => page.close()));
      return new PooledBrowser(chromium, pages);
    } catch (error) {
      await chromium.kill();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.chromium.browser.process()?.pid;
  }

  get connected(): boolean {
    return this.chromium.browser.connected;
  }

  onDisconnect(listener: () => void): void {
    this.chromium.browser.once('disconnected', listener);
  }

  async kill(): Promise<void> {
    this.state = 'gone';
    await this.chromium.kill();
  }
}
