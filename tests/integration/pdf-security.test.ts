/**
 * The PDF renderer against hostile input (research security-reliability §5.2–5.3): chart names and clinician notes
 * print as text; documents that try to load a local file, the cloud metadata address or anything at all over the
 * network — through the chart, or through an escaping bug that lets raw HTML through — make no request; script
 * never runs; a render past its deadline fails without taking the pool down; a crashed browser is replaced; a full
 * queue refuses at once. The output is a tagged PDF, and large print is larger.
 */
import { loadHandoutPack } from '../../server/content/content-packs';
import { createLogger } from '../../server/log';
import { PdfRenderer } from '../../server/handout/pdf';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { handoutFooterText, handoutHeaderText, renderHandoutHtml } from '../../server/handout/render-html';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import { median, normalizeText, pdfText, pdfWordHeights } from '../support/pdf-text';

const IMG_NAME = '<img src=x onerror=alert(1)>';
const ARABIC_NAME = 'فاطمة الزهراء';
const METADATA = 'http://169.254.169.254';

let renderer: PdfRenderer;
let server: RecordingServer;

beforeAll(async () => {
  [renderer, server] = await Promise.all([PdfRenderer.start({ size: 2, pagesPerBrowser: 1, renderTimeoutMs: 30_000 }), startRecordingServer()]);
});

afterAll(async () => {
  await Promise.all([renderer?.close(), server?.close()]);
});

function handoutInput(overrides: Partial<HandoutRenderInput>): HandoutRenderInput {
  return {
    pack: loadHandoutPack('en'),
    activeFlags: [],
    patient: { name: 'Ann Lee', birthDate: '1960-01-02' },
    clinicianName: 'Elena Rivera, MD',
    date: '2026-11-25',
    interpreterNeeded: false,
    largePrint: false,
    clinicianNotes: [],
    draft: false,
    printTarget: 'pdf',
    ...overrides,
  };
}

async function printHandout(input: HandoutRenderInput, html = renderHandoutHtml(input)): Promise<{ text: string; blocked: string[]; pdf: Buffer }> {
  const options = { headerText: handoutHeaderText(input), footerText: handoutFooterText(input.pack), language: 'en', largePrint: input.largePrint };
  const { pdf, blockedRequests } = await renderer.render(html, options);
  return { text: normalizeText(pdfText(pdf)), blocked: blockedRequests, pdf };
}

/** Every way a document can ask for a URL, aimed at the recording server, the metadata address and local files. */
function attacks(origin: string): string {
  return [
    `<iframe src="file:///etc/passwd"></iframe>`,
    `<iframe src="${origin}/iframe"></iframe>`,
    `<img src="${METADATA}/latest/meta-data/">`,
    `<img src="${origin}/img.png">`,
    `<link rel="stylesheet" href="${origin}/link.css">`,
    `<link rel="prefetch" href="${origin}/prefetch">`,
    `<link rel="preconnect" href="${origin}">`,
    `<style>@import url("${origin}/import.css"); body { background: url("${origin}/bg.png"); }</style>`,
    `<div style="background-image: url('${origin}/inline.png')">styled</div>`,
    `<meta http-equiv="refresh" content="0;url=${origin}/refresh">`,
    `<object data="${origin}/object"></object>`,
  ].join('\n');
}

/** Waits a little for anything a document might fetch late (a refresh, a prefetch), then checks nothing came. */
async function expectNothingReached(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(server.requests).toEqual([]);
  expect(server.connections).toBe(0);
}


/**
 * The pid of the pool's browser. A missing pid fails the test: signalling pid 0 instead would kill this whole
 * process group (jest and everything it started).
 */
function browserPid(pids: readonly (number | undefined)[]): number {
  const [pid] = pids;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) {
    throw new Error(`the PDF pool reported no browser process id (${JSON.stringify(pids)})`);
  }
  return pid;
}

describe('chart and clinician text prints as text', () => {
  test('an HTML-shaped name and an Arabic name appear verbatim in the PDF and escaped in the HTML', async () => {
    for (const name of [IMG_NAME, ARABIC_NAME]) {
      const input = handoutInput({ patient: { name } });
      const html = renderHandoutHtml(input);
      expect(html).toContain(name === IMG_NAME ? '&lt;img src=x onerror=alert(1)&gt;' : `<bdi dir="auto" class="isolate">${name}</bdi>`);
      const { text, blocked } = await printHandout(input, html);
      expect(text).toContain(name);
      expect(blocked).toEqual([]);
    }
  });

  test('attacks typed into the name and the clinician notes load nothing and print as text', async () => {
    const input = handoutInput({ patient: { name: `Ann ${attacks(server.origin).split('\n')[0]}` }, clinicianNotes: [attacks(server.origin)] });
    const { text, blocked } = await printHandout(input);
    expect(text).toContain(`<link rel="stylesheet" href="${server.origin}/link.css">`);
    expect(text).toContain('<iframe src="file:///etc/passwd"></iframe>');
    expect(blocked).toEqual([]);
    await expectNothingReached();
  });
});

describe('an escaping bug still cannot reach the network or run script', () => {
  test('raw HTML spliced into the handout (its CSP in force) makes no request and runs no script', async () => {
    const input = handoutInput({});
    const html = renderHandoutHtml(input).replace('<main>', `<main>${attacks(server.origin)}<script>document.body.innerHTML = 'SCRIPT RAN';</script>`);
    const { text } = await printHandout(input, html);
    expect(text).not.toContain('SCRIPT RAN');
    expect(text).toContain('A Pain Medicine Pump: Benefits and Risks');
    expect(text).not.toMatch(/root:x?:0:0/);
    await expectNothingReached();
  });

  test('a document with no CSP at all: interception refuses every request, keeping only scheme and host', async () => {
    const html = `<!doctype html><html><head>${attacks(server.origin)}</head><body><p id="t">ORIGINAL TEXT</p>
<script>document.getElementById('t').textContent = 'SCRIPT RAN'; fetch('${server.origin}/fetch');</script></body></html>`;
    const { pdf, blockedRequests } = await renderer.render(html, { headerText: 'h', language: 'en' });
    const text = normalizeText(pdfText(pdf));
    expect(text).toContain('ORIGINAL TEXT');
    expect(text).not.toContain('SCRIPT RAN');
    expect(text).not.toMatch(/root:x?:0:0/);
    expect(blockedRequests).toEqual(expect.arrayContaining([server.origin, METADATA]));
    expect(blockedRequests.every((target) => /^[a-z-]+:(\/\/[^/]+)?$/.test(target))).toBe(true);
    await expectNothingReached();
  });
});

describe('the pool under failure', () => {
  test('a render past its deadline fails with gateway_timeout and the pool renders afterwards', async () => {
    const pool = await PdfRenderer.start({ size: 2, pagesPerBrowser: 1, renderTimeoutMs: 2_000 });
    try {
      const huge = `<!doctype html><html><body>${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>'.repeat(60_000)}</body></html>`;
      const started = Date.now();
      await expect(pool.render(huge, { headerText: 'h', language: 'en' })).rejects.toMatchObject({ code: 'gateway_timeout', status: 504 });
      expect(Date.now() - started).toBeLessThan(6_000);
      for (let i = 0; i < 3; i += 1) {
        const { pdf } = await pool.render('<p>after the timeout</p>', { headerText: 'h', language: 'en' });
        expect(normalizeText(pdfText(pdf))).toContain('after the timeout');
      }
    } finally {
      await pool.close();
    }
  });

  test('a browser that crashes is replaced, and a render it takes down is retried on another', async () => {
    const events: string[] = [];
    const logger = createLogger('info', (line) => events.push((JSON.parse(line) as { event: string }).event));
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, logger });
    try {
      const idle = browserPid(pool.stats().pids);
      process.kill(idle, 'SIGKILL');
      const afterIdleCrash = await pool.render('<p>after the crash</p>', { headerText: 'h', language: 'en' });
      expect(normalizeText(pdfText(afterIdleCrash.pdf))).toContain('after the crash');
      expect(pool.stats().pids).not.toContain(idle);

      const busy = browserPid(pool.stats().pids);
      const slow = `<!doctype html><html><body>${'<p>Lorem ipsum dolor sit amet.</p>'.repeat(3_000)}<p>LAST LINE</p></body></html>`;
      const rendering = pool.render(slow, { headerText: 'h', language: 'en' });
      await new Promise((resolve) => setTimeout(resolve, 150));
      process.kill(busy, 'SIGKILL');
      expect(normalizeText(pdfText((await rendering).pdf))).toContain('LAST LINE');
      expect(events).toContain('pdf.render_retried');
      expect(pool.stats()).toMatchObject({ ready: 1, waiting: 0 });
      expect(pool.stats().pids).not.toContain(busy);
    } finally {
      await pool.close();
    }
  });

  test('a browser is replaced after maxRendersPerBrowser renders, without failing a render', async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, maxRendersPerBrowser: 2 });
    try {
      const pids = new Set<number>();
      for (let i = 0; i < 5; i += 1) {
        // Below the running header: a bare page has no margins of its own, and the header would print over the line.
        const { pdf } = await pool.render(`<p style="margin-top:30mm">render ${i}</p>`, { headerText: 'h', language: 'en' });
        expect(normalizeText(pdfText(pdf))).toContain(`render ${i}`);
        pool.stats().pids.forEach((pid) => pids.add(pid));
      }
      expect(pids.size).toBeGreaterThanOrEqual(3);
    } finally {
      await pool.close();
    }
  });

  test("one document's policies do not carry over to the next render on the same page", async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1 });
    try {
      const strict = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'"><p>first patient</p>`;
      await pool.render(strict, { headerText: 'h', language: 'en' });
      const next = await pool.render(`<p>second patient</p><img src="${METADATA}/x">`, { headerText: 'h', language: 'en' });
      expect(next.blockedRequests).toEqual([METADATA]);
      expect(normalizeText(pdfText(next.pdf))).not.toContain('first patient');
    } finally {
      await pool.close();
    }
  });

  test('past 20 waiting callers the pool refuses at once with too_many_requests', async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, renderTimeoutMs: 60_000 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 25 }, () => pool.render('<p>queued</p>', { headerText: 'h', language: 'en' })));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(4);
      expect(refused.map((r) => (r.status === 'rejected' ? r.reason : undefined))).toEqual(Array(4).fill(expect.objectContaining({ code: 'too_many_requests' })));
    } finally {
      await pool.close();
    }
  });
});

describe('the PDF itself', () => {
  test('is tagged for screen readers', async () => {
    const { pdf } = await printHandout(handoutInput({}));
    const raw = pdf.toString('latin1');
    expect(raw).toContain('/StructTreeRoot');
    expect(raw).toMatch(/\/MarkInfo\s*<<[^>]*\/Marked true/);
  });

  test('large print sets the body text larger and the running header says who it is for', async () => {
    const normal = await printHandout(handoutInput({}));
    const large = await printHandout(handoutInput({ largePrint: true }));
    expect(median(pdfWordHeights(large.pdf))).toBeGreaterThan(1.3 * median(pdfWordHeights(normal.pdf)));
    // pdftotext drops the space after a bidi isolate; on the page it is there.
    expect(large.text).toMatch(/^Ann Lee ?· born January 2, 1960 · November 25, 2026 · Elena Rivera, MD /);
    expect(large.text).toMatch(/Page 1 of (\d+)/);
  });
});
