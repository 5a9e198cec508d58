import { execFileSync } from 'node:child_process';

/**
 * Text of a PDF as a reader (or a screen reader) gets it, through Debian's `pdftotext` (poppler-utils, installed by
 * scripts/ensure-chromium.sh). `bodyOnly` crops away the page margins — the running header and the "Page x of y"
 * footer — so that a paragraph split across two pages reads as one sentence again.
 */
const POINTS_PER_MM = 72 / 25.4;
/** The handout's @page margins (server/handout/handout-styles.ts), a little inside so no body line is cut. */
const TOP_MARGIN_PT = 21 * POINTS_PER_MM;
const BOTTOM_MARGIN_PT = 19 * POINTS_PER_MM;
const LETTER = { width: 612, height: 792 };

export function pdfText(pdf: Buffer, options: { bodyOnly?: boolean } = {}): string {
  const crop = options.bodyOnly
    ? ['-x', '0', '-y', `${Math.round(TOP_MARGIN_PT)}`, '-W', `${LETTER.width}`, '-H', `${Math.round(LETTER.height - TOP_MARGIN_PT - BOTTOM_MARGIN_PT)}`]
    : [];
  try {
    return execFileSync('pdftotext', ['-enc', 'UTF-8', ...crop, '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pdftotext is missing: run scripts/ensure-chromium.sh (it installs poppler-utils)', { cause: error });
    }
    throw error;
  }
}

/** Word boxes of a PDF (`pdftotext -bbox`): the height of each word is its font size, near enough. */
export function pdfWordHeights(pdf: Buffer): number[] {
  const xhtml = execFileSync('pdftotext', ['-bbox', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  return [...xhtml.matchAll(/<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">/g)].map(
    (match) => Number(match[2]) - Number(match[1]),
  );
}

/**
 * Text compared as a reader sees it: one space for any run of white space, no soft hyphens, zero-width or bidi
 * control characters, and a word broken after its own hyphen at a line end ("hand-\nheld") joined again. Apply it
 * to both sides of a comparison.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u00ad\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/- /g, '-')
    .trim();
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The text of each page (`pdftotext -layout`, one page at a time: page breaks are form feeds). */
export function pdfPages(pdf: Buffer): string[] {
  const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  return text.split('\f').filter((page, index, all) => index < all.length - 1 || page.trim() !== '');
}
