import crypto from 'node:crypto';
import net from 'node:net';
import type { Browser, Frame, HTTPRequest, Page } from 'puppeteer';
import { createSealedBox } from '../../server/store/sealed-box';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import { launchBrowser } from '../support/browser';
import { call, openLaunch } from '../support/filing-helpers';
import { launchAs, simulatorLaunchUrl } from '../support/launch-helpers';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import { launchInNewWindow, openSimulator } from '../support/simulator-page';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The reviewer's cases E1–E5 (security research §1.4, §1.5, §6 E): the browser side of a session. The sandbox EHR
 * runs on 127.0.0.1 and the app on localhost — two different sites, as an EHR and the app are in production — so
 * the EHR's frame around the app is a cross-site frame, and Chromium runs with third-party cookies blocked.
 */
let system: TestSystem;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let evil: RecordingServer;

/** A free loopback port: the sandbox's base URL must name its port before the system starts. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The embedded store's first start alone can take most of a minute on a busy two-core machine.
beforeAll(async () => {
  const sandboxPort = await freePort();
  system = await startTestSystem({ SANDBOX_PORT: String(sandboxPort), SANDBOX_BASE_URL: `http://127.0.0.1:${sandboxPort}` });
  const chromium = await launchBrowser({ thirdPartyCookies: 'block' });
  browser = chromium.browser;
  closeBrowser = () => chromium.close();
  evil = await startRecordingServer();
}, 120_000);

afterAll(async () => {
  await evil?.close();
  await closeBrowser?.();
  await system?.close();
});

async function appFrameOf(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('iframe#app-frame');
  const frame = await handle?.contentFrame();
  if (frame === undefined || frame === null) {
    throw new Error('no app frame');
  }
  return frame;
}

/** Every cookie the browser holds, partitioned ones included (page.cookies() leaves those of other partitions out). */
async function allCookies(): Promise<Array<{ name: string; value: string; domain: string; partitionKey?: { topLevelSite: string } }>> {
  const session = await browser.target().createCDPSession();
  try {
    const { cookies } = await session.send('Storage.getCookies');
    return cookies;
  } finally {
    await session.detach();
  }
}

describe('E1: the app in a cross-site EHR frame, third-party cookies blocked', () => {
  test('E1: the launch completes on the partitioned session cookie, shows the patient, and never loops', async () => {
    const page = await openSimulator(browser, system.sandboxUrl ?? '', { patient: 'anticoagulant-patient', embed: true });
    const committed: string[] = [];
    // What commits in the EHR's frame itself (the app page's own preview frame, nested in it, is not a launch hop).
    page.on('framenavigated', (frame) => {
      if (frame.parentFrame() === page.mainFrame()) {
        committed.push(frame.url());
      }
    });
    try {
      await page.click('#launch');
      const frame = await appFrameOf(page);
      await frame.waitForSelector('[data-section="conditions"]', { timeout: 20_000 });
      expect(await frame.$eval('[data-field="patient-name"]', (el) => el.textContent)).toBe('Margaret Ann Ellison');
      // The launch.html → authorize → callback hops are redirects: only the app page commits in the frame.
      expect(committed.filter((url) => url.startsWith(system.appUrl)).length).toBeLessThanOrEqual(2);
      expect(committed[committed.length - 1]).toMatch(new RegExp(`^${system.appUrl}/app/[A-Za-z0-9_-]+$`));

      // Third-party cookies really are blocked in this frame; a partitioned (CHIPS) cookie is kept.
      const probes = await frame.evaluate(() => {
        document.cookie = 'itdd_probe_plain=1; Secure; SameSite=None; Path=/';
        document.cookie = 'itdd_probe_partitioned=1; Secure; SameSite=None; Path=/; Partitioned';
        return document.cookie;
      });
      expect(probes).not.toContain('itdd_probe_plain');
      expect(probes).toContain('itdd_probe_partitioned');
      const session = (await allCookies()).filter((c) => c.name === '__Host-itdd_sid');
      expect(session.map((c) => c.partitionKey?.topLevelSite)).toEqual(['http://127.0.0.1']);
    } finally {
      await page.close();
    }
  });

  test('E1: a browser that keeps no cookie at all gets one clear page at the callback — open in a new window — not a redirect loop', async () => {
    const hops: Array<{ url: string; status: number }> = [];
    let url = await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient' });
    let response: Response | undefined;
    for (let hop = 0; hop < 10; hop += 1) {
      response = await fetch(url, { redirect: 'manual' });
      hops.push({ url, status: response.status });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        break;
      }
      url = new URL(location, url).href;
    }
    expect(hops.length).toBeLessThanOrEqual(4);
    expect(hops[hops.length - 1]).toEqual({ url: expect.stringMatching(new RegExp(`^${system.appUrl}/callback\\?`)), status: 401 });
    const text = (await response!.text()).replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'");
    expect(text).toMatch(/did not keep ITDD Consent's sign-in cookie/);
    expect(text).toMatch(/new window/);
    expect(response!.headers.get('location')).toBeNull();
  });
});

describe('E2: framing', () => {
  test('E2: a page on an origin that is not on the allow-list cannot frame the app', async () => {
    evil.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe id="victim" src="${system.appUrl}/"></iframe>`);
    });
    const page = await browser.newPage();
    // Chromium reports the refusal on the console of the page that tried to frame the app.
    const refusals: string[] = [];
    page.on('console', (message) => refusals.push(message.text()));
    try {
      await page.goto(`${evil.origin}/`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(refusals.some((text) => text.includes(`Framing '${system.appUrl}/' violates`) && /frame-ancestors/.test(text) && /blocked/.test(text))).toBe(true);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame?.url()).toBe('chrome-error://chromewebdata/');
      const shown = await frame?.evaluate(() => document.body?.textContent ?? '').catch(() => '');
      expect(shown ?? '').not.toMatch(/ITDD Consent/);
    } finally {
      await page.close();
    }
  });

  test('E2: every kind of app page names only itself and the EHR as frame ancestors', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const expected = `frame-ancestors 'self' ${system.sandboxUrl}`;
    for (const path of ['/', '/launch.html', `/app/${launch.launchId}`, `/app/${launch.launchId}/handout`, '/no-such-page', '/launch']) {
      const response = await launch.agent.request(`${system.appUrl}${path}`);
      const policy = response.headers.get('content-security-policy') ?? '';
      const ancestors = policy.split(';').map((d) => d.trim()).filter((d) => d.startsWith('frame-ancestors'));
      expect({ path, ancestors }).toEqual({ path, ancestors: [expected] });
    }
  });
});

describe('E3: idle timeout', () => {
  test('E3: past the idle timeout the launch is refused with a relaunch message, its tokens are deleted by the sweep, and a relaunch works', async () => {
    const session = await openLaunch(system, 'anticoagulant-patient', 'generic');
    const launchId = session.launch.launchId;
    const idleMs = system.config.launchIdleMs;
    expect(idleMs).toBeLessThanOrEqual(30 * 60_000);
    await system.db.query(`UPDATE launch_sessions SET last_seen_at = $2 WHERE launch_id = $1`, [launchId, new Date(Date.now() - idleMs - 60_000)]);

    const api = await call(system, session, 'GET', `${system.appUrl}/api/launches/${launchId}/context`);
    expect(api.status).toBe(401);
    expect(api.body.details.reason).toBe('launch_unknown');
    expect(api.body.hint).toMatch(/launch ITDD Consent again/);
    const change = await call(system, session, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`, {});
    expect(change.status).toBe(401);
    const pageAnswer = await session.launch.agent.request(`${system.appUrl}/app/${launchId}`);
    expect(pageAnswer.status).toBe(401);

    // The store's sweep (every few minutes in the running app) removes the idle session and its sealed tokens.
    const sweep = new LaunchSessionStore(system.db, createSealedBox({ current: { id: 'sweep', key: crypto.randomBytes(32) } }), {
      idleMs, maxMs: system.config.launchMaxMs,
    });
    await sweep.purgeExpired();
    expect(await system.db.query('SELECT tokens_sealed FROM launch_sessions WHERE launch_id = $1', [launchId])).toEqual([]);

    const relaunch = await openLaunch(system, 'anticoagulant-patient', 'generic');
    expect((await call(system, relaunch, 'GET', `${system.appUrl}/api/launches/${relaunch.launch.launchId}/context`)).status).toBe(200);
  });
});

describe('E4: cross-site requests with the session cookie', () => {
  test('E4: ending a session needs the CSRF token and the app origin', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
    const url = `${system.appUrl}/api/launches/${launch.launchId}/end`;
    expect((await launch.agent.request(url, { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const shell = await (await launch.agent.request(`${system.appUrl}/app/${launch.launchId}`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1] ?? '';
    expect((await launch.agent.request(url, { method: 'POST', headers: { origin: 'https://evil.example', 'x-csrf-token': csrf } })).status).toBe(403);
    expect((await launch.agent.request(url, { method: 'POST', headers: { origin: system.appUrl, 'x-csrf-token': csrf } })).status).toBe(204);
    expect((await launch.agent.request(`${system.appUrl}/api/launches/${launch.launchId}/context`)).status).toBe(401);
  });

  test("E4: refresh is a change: it needs the launch's CSRF token", async () => {
    const session = await openLaunch(system, 'diabetes-hba1c-patient', 'generic');
    const response = await session.launch.agent.request(`${system.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {
      method: 'POST', headers: { origin: system.appUrl, accept: 'application/json' },
    });
    expect(response.status).toBe(403);
  });

  test('E4: in Chromium, a form another site posts to the app (the cookie goes with it) is refused, and the session lives on', async () => {
    const app = await launchInNewWindow(browser, system.sandboxUrl ?? '', { patient: 'antiplatelet-patient' });
    const launchId = new URL(app.url()).pathname.split('/').pop() ?? '';
    const target = `${system.appUrl}/api/launches/${launchId}`;
    evil.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<form method="post" action="${target}/end" enctype="text/plain"><input name='{"x":"' value='"}'></form>
<script>fetch('${target}/chart/refresh', { method: 'POST', credentials: 'include', mode: 'no-cors', body: '{}' }).finally(() => document.forms[0].submit());</script>`);
    });
    const attacker = await browser.newPage();
    const posts: string[] = [];
    attacker.on('request', (request: HTTPRequest) => {
      if (request.url().startsWith(target) && request.method() === 'POST') {
        posts.push(request.url());
      }
    });
    try {
      const posted = attacker.waitForResponse((response) => response.url() === `${target}/end`);
      await attacker.goto(`${evil.origin}/`);
      const answer = await posted;
      // 403 from the CSRF check, not 401 from the launch check: the browser did send the session cookie with the
      // form (top-level POST, SameSite=None), the launch was recognised, and the request was still refused.
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toMatch(/did not come from the ITDD Consent page/);
      expect(posts).toEqual(expect.arrayContaining([`${target}/end`]));
      // The clinician's window is still signed in: nothing the other site sent ended or changed the session.
      const status = await app.evaluate(async (url) => (await fetch(url)).status, `${target}/context`);
      expect(status).toBe(200);
    } finally {
      await attacker.close();
      await app.close();
    }
  });
});

describe('E5: no EHR token in the browser', () => {
  test('E5: pages, frames, scripts, JS state, URLs, Referer headers, cookies, storage and log lines carry no access, refresh or id token', async () => {
    const urls: string[] = [];
    const referers: string[] = [];
    const bodies: string[] = [];
    const reading: Array<Promise<void>> = [];
    const watch = (page: Page): void => {
      // Every body comes over the network, none from the cache of earlier tests (a cached body has no text here).
      void page.setCacheEnabled(false);
      page.on('request', (request) => {
        urls.push(request.url());
        referers.push(request.headers().referer ?? '');
      });
      page.on('response', (response) => {
        if (response.url().startsWith(system.appUrl) && response.status() < 300) {
          reading.push(response.text().then((text) => void bodies.push(text), () => undefined));
        }
      });
    };
    /** Every string reachable from the page's own globals, local and session storage, and the DOM. */
    const pageState = (frame: Frame): Promise<string> => frame.evaluate(() => {
      const seen = new Set<unknown>();
      const out: string[] = [document.documentElement.outerHTML, document.cookie, location.href, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })];
      const walk = (value: unknown, depth: number): void => {
        if (typeof value === 'string') {
          out.push(value);
        } else if (value !== null && typeof value === 'object' && depth < 4 && !seen.has(value) && !(value instanceof Node)) {
          seen.add(value);
          for (const key of Object.keys(value).slice(0, 200)) {
            try {
              walk((value as Record<string, unknown>)[key], depth + 1);
            } catch {
              // a getter that throws holds nothing
            }
          }
        }
      };
      const pristine = new Set(Object.getOwnPropertyNames(document.createElement('iframe').contentWindow ?? {}));
      for (const key of Object.getOwnPropertyNames(window)) {
        if (!pristine.has(key)) {
          try {
            walk((window as unknown as Record<string, unknown>)[key], 0);
          } catch {
            // cross-origin or throwing getter
          }
        }
      }
      return out.join('\n');
    });

    const states: string[] = [];
    // Launched in the watched window itself: a new window's first answers (the redirects and the app page) would
    // arrive before a watcher could be attached to it.
    const standalone = await openSimulator(browser, system.sandboxUrl ?? '', { patient: 'cancer-pain-high-dose-opioids-patient' }, watch);
    await standalone.$eval('#launch-form', (form) => form.setAttribute('target', '_self'));
    await Promise.all([standalone.waitForNavigation(), standalone.click('#launch')]);
    await standalone.waitForSelector('[data-section="conditions"], [data-section="banner"]', { timeout: 20_000 });
    states.push(await pageState(standalone.mainFrame()));
    await standalone.goto(`${standalone.url()}/handout`);
    states.push(await pageState(standalone.mainFrame()));
    await Promise.all(reading);
    await standalone.close();

    const embedded = await openSimulator(browser, system.sandboxUrl ?? '', { patient: 'anticoagulant-patient', embed: true }, watch);
    await embedded.click('#launch');
    const frame = await appFrameOf(embedded);
    await frame.waitForSelector('[data-section="conditions"]', { timeout: 20_000 });
    states.push(await pageState(frame), await embedded.content());
    await Promise.all(reading);
    await embedded.close();

    const cookies = (await allCookies()).map((c) => `${c.name}=${c.value}`);
    const secrets = system.sandbox!.sandboxSecrets();
    expect(secrets.length).toBeGreaterThan(5);
    const haystacks: Array<[string, string[]]> = [
      ['page and JS state', states],
      ['response body', bodies],
      ['url', urls],
      ['referer', referers],
      ['cookie', cookies],
      ['log', system.logLines],
    ];
    for (const [where, values] of haystacks) {
      const joined = values.join('\n');
      for (const secret of secrets) {
        expect({ where, leaked: joined.includes(secret) }).toEqual({ where, leaked: false });
      }
      expect({ where, jwt: /eyJ[\w-]{10,}\.[\w-]{10,}\./.test(joined) }).toEqual({ where, jwt: false });
    }
    // The app page of each launch, its scripts, the chart context and the handout were all read.
    expect(bodies.filter((body) => body.includes('name="csrf-token"')).length).toBeGreaterThanOrEqual(2);
    expect(bodies.length).toBeGreaterThan(5);
    expect(referers.filter((r) => r.includes('code=') || r.includes('state='))).toEqual([]);
  });
});
