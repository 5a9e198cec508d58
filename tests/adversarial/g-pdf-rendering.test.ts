import crypto from 'node:crypto';
import fs from 'node:fs';
import { PdfRenderer } from '../../server/handout/pdf';
import { createLogger } from '../../server/log';
import { renderHandoutHtml } from '../../server/handout/render-html';
import { attestedDiscussion, fileNote, notesInChart, waitForFiling } from '../support/filing-helpers';
import { handoutInput, printHandout } from '../support/handout-print';
import type { RecordingServer } from '../support/recording-server';
import { startRecordingServer } from '../support/recording-server';
import { normalizeText, pdfText } from '../support/pdf-text';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The reviewer's cases G1–G5 (security research §5.3, §6 G): the PDF renderer against hostile documents — no
 * request leaves it (local files, the cloud metadata address, anything over the network), no script runs even when
 * raw HTML reaches the template, a pathological document is stopped at its deadline with its browser replaced and
 * gone, concurrent renders queue in a bounded pool, and the PDF the audit trail names is the PDF filed in the chart.
 */
const METADATA = 'http://169.254.169.254';

let renderer: PdfRenderer;
let server: RecordingServer;

beforeAll(async () => {
  [renderer, server] = await Promise.all([PdfRenderer.start({ size: 2, pagesPerBrowser: 1, renderTimeoutMs: 30_000 }), startRecordingServer()]);
});

afterAll(async () => {
  await Promise.all([renderer?.close(), server?.close()]);
});

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

/** The state letter of a process (R, S, Z …), or undefined once it is gone and reaped. */
function processState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The process and all its descendants (Chromium's renderer, GPU and zygote processes), from /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    const stat = /^\d+$/.test(name) ? (() => { try { return fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { return undefined; } })() : undefined;
    const ppid = stat === undefined ? undefined : /\) \S (\d+)/.exec(stat)?.[1];
    if (ppid !== undefined) {
      parents.set(Number(name), Number(ppid));
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, ppid] of parents) {
      if (ppid === tree[i] && !tree.includes(pid)) {
        tree.push(pid);
      }
    }
  }
  return tree;
}

describe('G1: nothing a document asks for is fetched', () => {
  test('G1: attacks typed into the name and the clinician notes load nothing and print as text', async () => {
    const input = handoutInput({ patient: { name: `Ann ${attacks(server.origin).split('\n')[0]}` }, clinicianNotes: [attacks(server.origin)] });
    const { text, blocked } = await printHandout(renderer, input);
    expect(text).toContain(`<link rel="stylesheet" href="${server.origin}/link.css">`);
    expect(text).toContain('<iframe src="file:///etc/passwd"></iframe>');
    expect(blocked).toEqual([]);
    await expectNothingReached();
  });

  test('G1: a document with no CSP at all: interception refuses every request, keeping only scheme and host', async () => {
    const html = `<!doctype html><html><head>${attacks(server.origin)}</head><body><p id="t">ORIGINAL TEXT</p>
<script>document.getElementById('t').textContent = 'SCRIPT RAN'; fetch('${server.origin}/fetch');</script></body></html>`;
    const { pdf, blockedRequests } = await renderer.render(html);
    const text = normalizeText(pdfText(pdf));
    expect(text).toContain('ORIGINAL TEXT');
    expect(text).not.toContain('SCRIPT RAN');
    expect(text).not.toMatch(/root:x?:0:0/);
    expect(blockedRequests).toEqual(expect.arrayContaining([server.origin, METADATA]));
    expect(blockedRequests.every((target) => /^[a-z-]+:(\/\/[^/]+)?$/.test(target))).toBe(true);
    await expectNothingReached();
  });

  test("G1: one document's policies do not carry over to the next render on the same page", async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1 });
    try {
      const strict = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'"><p>first patient</p>`;
      await pool.render(strict);
      const next = await pool.render(`<p>second patient</p><img src="${METADATA}/x">`);
      expect(next.blockedRequests).toEqual([METADATA]);
      expect(normalizeText(pdfText(next.pdf))).not.toContain('first patient');
    } finally {
      await pool.close();
    }
  });
});

describe('G2: script never runs in the renderer', () => {
  test('G2: raw HTML spliced into the handout (its CSP in force) makes no request and runs no script', async () => {
    const input = handoutInput({});
    const html = renderHandoutHtml(input).replace('<main>', `<main>${attacks(server.origin)}<script>document.body.innerHTML = 'SCRIPT RAN';</script>`);
    const { text } = await printHandout(renderer, input, html);
    expect(text).not.toContain('SCRIPT RAN');
    expect(text).toContain('A Pain Medicine Pump: Benefits and Risks');
    expect(text).not.toMatch(/root:x?:0:0/);
    await expectNothingReached();
  });

  test('G2: with no CSP, event handlers, javascript: URLs and srcdoc scripts do not run either (JavaScript is off)', async () => {
    const write = (label: string): string => `document.body.insertAdjacentText('beforeend', '${label} RAN')`;
    const html = `<!doctype html><html><body onload="${write('ONLOAD')}"><p style="margin-top:30mm">ORIGINAL TEXT</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="${write('IMG')}" onerror="${write('IMG')}">
<svg><animate onbegin="${write('SVG')}" attributeName="x" dur="1s"/></svg>
<iframe src="javascript:parent.document.body.append('JS URL RAN')"></iframe>
<iframe srcdoc="<script>parent.document.body.append('SRCDOC RAN')</script>"></iframe></body></html>`;
    const { pdf } = await renderer.render(html);
    const text = normalizeText(pdfText(pdf));
    expect(text).toContain('ORIGINAL TEXT');
    expect(text).not.toMatch(/RAN/);
  });
});

describe('G3: a pathological document', () => {
  test('G3: a render past its deadline fails with gateway_timeout, its browser is replaced and its processes are gone, and the pool renders afterwards', async () => {
    const pool = await PdfRenderer.start({ size: 2, pagesPerBrowser: 1, renderTimeoutMs: 2_000 });
    try {
      const before = pool.stats().pids;
      expect(before).toHaveLength(2);
      const trees = new Map(before.map((pid) => [pid, processTree(browserPid([pid]))]));
      const huge = `<!doctype html><html><body><table>${'<tr><td>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</td><td>x</td></tr>'.repeat(60_000)}</table></body></html>`;
      const started = Date.now();
      await expect(pool.render(huge)).rejects.toMatchObject({ code: 'gateway_timeout', status: 504 });
      expect(Date.now() - started).toBeLessThan(6_000);
      for (let i = 0; i < 3; i += 1) {
        const { pdf } = await pool.render('<p style="margin-top:30mm">after the timeout</p>');
        expect(normalizeText(pdfText(pdf))).toContain('after the timeout');
      }
      // Exactly the browser that ran the stuck render was replaced.
      const replaced = before.filter((pid) => !pool.stats().pids.includes(pid));
      expect(replaced).toHaveLength(1);
      const tree = trees.get(replaced[0]) ?? [];
      expect(tree.length).toBeGreaterThan(1);
      // The stuck browser and every process it started are killed and reaped: no zombie is left behind.
      const until = Date.now() + 10_000;
      while (tree.some((pid) => processState(pid) !== undefined) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(tree.map((pid) => [pid, processState(pid)]).filter(([, state]) => state !== undefined)).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  test('G3: a browser that crashes is replaced, and a render it takes down is retried on another', async () => {
    const events: string[] = [];
    const logger = createLogger('info', (line) => events.push((JSON.parse(line) as { event: string }).event));
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, logger });
    try {
      const idle = browserPid(pool.stats().pids);
      process.kill(idle, 'SIGKILL');
      const afterIdleCrash = await pool.render('<p>after the crash</p>');
      expect(normalizeText(pdfText(afterIdleCrash.pdf))).toContain('after the crash');
      expect(pool.stats().pids).not.toContain(idle);

      const busy = browserPid(pool.stats().pids);
      const slow = `<!doctype html><html><body>${'<p>Lorem ipsum dolor sit amet.</p>'.repeat(3_000)}<p>LAST LINE</p></body></html>`;
      const rendering = pool.render(slow);
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

  test('G3: a browser is replaced after maxRendersPerBrowser renders, without failing a render', async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, maxRendersPerBrowser: 2 });
    try {
      const pids = new Set<number>();
      for (let i = 0; i < 5; i += 1) {
        // Below the running header: a bare page has no margins of its own, and the header would print over the line.
        const { pdf } = await pool.render(`<p style="margin-top:30mm">render ${i}</p>`);
        expect(normalizeText(pdfText(pdf))).toContain(`render ${i}`);
        pool.stats().pids.forEach((pid) => pids.add(pid));
      }
      expect(pids.size).toBeGreaterThanOrEqual(3);
    } finally {
      await pool.close();
    }
  });
});

describe('G4: concurrent renders', () => {
  test('G4: 20 renders at once all complete, never more than the pool\'s pages at a time, the rest queued, no extra browser', async () => {
    const pool = await PdfRenderer.start({ size: 2, pagesPerBrowser: 1, renderTimeoutMs: 60_000 });
    try {
      const samples: Array<{ rendering: number; waiting: number; browsers: number }> = [];
      const sampler = setInterval(() => {
        const stats = pool.stats();
        samples.push({ rendering: stats.rendering, waiting: stats.waiting, browsers: stats.pids.length });
      }, 10);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.render(`<p style="margin-top:30mm">patient ${i}</p>`)));
      clearInterval(sampler);
      results.forEach(({ pdf }, i) => expect(normalizeText(pdfText(pdf))).toContain(`patient ${i}`));
      expect(Math.max(...samples.map((s) => s.rendering))).toBeLessThanOrEqual(2);
      expect(Math.max(...samples.map((s) => s.waiting))).toBeGreaterThanOrEqual(10);
      expect(Math.max(...samples.map((s) => s.browsers))).toBeLessThanOrEqual(2);
      // A page is back in the pool once it has been reset to a blank document, a moment after its render returned.
      const until = Date.now() + 5_000;
      while (pool.stats().rendering > 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(pool.stats()).toMatchObject({ rendering: 0, waiting: 0, ready: 2 });
    } finally {
      await pool.close();
    }
  });

  test('G4: past 20 waiting callers the pool refuses at once with too_many_requests', async () => {
    const pool = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, renderTimeoutMs: 60_000 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 25 }, () => pool.render('<p>queued</p>')));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(4);
      expect(refused.map((r) => (r.status === 'rejected' ? r.reason : undefined))).toEqual(Array(4).fill(expect.objectContaining({ code: 'too_many_requests' })));
    } finally {
      await pool.close();
    }
  });
});

describe('G5: the audited PDF is the filed PDF', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.close();
  });

  test('G5: the SHA-256 in the document.filed audit row is the hash of the bytes in content.attachment.data, whose own hash and size agree', async () => {
    const s = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
    expect((await fileNote(system, s)).status).toBe(200);
    expect(await waitForFiling(system, s, s.discussionId)).toMatchObject({ state: 'confirmed' });
    const [note] = await notesInChart(system, s.patient, s.discussionId);
    const pdfAttachment = (note).content.find((c) => c.attachment.contentType === 'application/pdf')?.attachment;
    const bytes = Buffer.from(pdfAttachment?.data ?? '', 'base64');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfAttachment?.size).toBe(bytes.length);
    expect(pdfAttachment?.hash).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));

    const rows = await system.db.query<{ record: string | { entities?: Array<{ type: string; id: string }>; detail?: { pdfSha256?: string } } }>(
      "SELECT record FROM audit_events WHERE action = 'document.filed'",
    );
    const records = rows.map((row) => (typeof row.record === 'string' ? JSON.parse(row.record) : row.record) as { entities?: Array<{ type: string; id: string }>; detail?: { pdfSha256?: string } });
    const filed = records.filter((record) => record.entities?.some((e) => e.type === 'Discussion' && e.id === s.discussionId));
    expect(filed).toHaveLength(1);
    expect(filed[0].entities).toContainEqual({ type: 'DocumentReference', id: note.id });
    expect(filed[0].detail?.pdfSha256).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
  }, 120_000);
});
