/**
 * The PDF itself: tagged for screen readers, and large print is larger. (The renderer against hostile input —
 * no request, no script, deadlines, crashes, a bounded queue — is tests/adversarial/g-pdf-rendering.test.ts.)
 */
import fs from 'node:fs';
import { PdfRenderer } from '../../server/handout/pdf';
import { processTree } from '../bench/process-memory';
import { handoutInput, printHandout } from '../support/handout-print';
import { median, pdfWordHeights } from '../support/pdf-text';

let renderer: PdfRenderer;

beforeAll(async () => {
  renderer = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1, renderTimeoutMs: 30_000 });
});

afterAll(async () => {
  await renderer?.close();
});

describe('the PDF itself', () => {
  test('is tagged for screen readers', async () => {
    const { pdf } = await printHandout(renderer, handoutInput({}));
    const raw = pdf.toString('latin1');
    expect(raw).toContain('/StructTreeRoot');
    expect(raw).toMatch(/\/MarkInfo\s*<<[^>]*\/Marked true/);
  });

  test('large print sets the body text larger and the running header says who it is for', async () => {
    const normal = await printHandout(renderer, handoutInput({}));
    const large = await printHandout(renderer, handoutInput({ largePrint: true }));
    expect(median(pdfWordHeights(large.pdf))).toBeGreaterThan(1.3 * median(pdfWordHeights(normal.pdf)));
    // pdftotext drops the space after a bidi isolate; on the page it is there.
    expect(large.text).toMatch(/^Ann Lee ?· born January 2, 1960 · November 25, 2026 · Elena Rivera, MD /);
    expect(large.text).toMatch(/Page 1 of (\d+)/);
  });

  test('its browser runs one renderer per page and no other (no spare, no browser-UI page): the pool\'s memory', async () => {
    await printHandout(renderer, handoutInput({}));
    const [pid] = renderer.stats().pids;
    const types = processTree(pid ?? -1).map((p) => /--type=([a-z-]+)/.exec(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'))?.[1] ?? 'browser');
    expect(types.filter((t) => t === 'renderer')).toHaveLength(1);
    // The GPU and network services run inside the browser process.
    expect(types).not.toContain('gpu-process');
  });
});

