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

/** One line of text on a page, where `pdftotext -bbox-layout` put it (points from the top-left corner). */
export interface PdfLine {
  text: string;
  xMin: number;
  yMin: number;
  yMax: number;
}

export interface PdfPageLines {
  width: number;
  height: number;
  lines: PdfLine[];
}

const decodeXml = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Every page's lines with their positions, in the order poppler reads them. */
export function pdfPageLines(pdf: Buffer): PdfPageLines[] {
  const xhtml = execFileSync('pdftotext', ['-bbox-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  return [...xhtml.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g)].map((page) => ({
    width: Number(page[1]),
    height: Number(page[2]),
    lines: [...(page[3] ?? '').matchAll(/<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([\s\S]*?)<\/line>/g)].map((line) => ({
      xMin: Number(line[1]),
      yMin: Number(line[2]),
      yMax: Number(line[3]),
      text: normalizeText([...(line[4] ?? '').matchAll(/<word[^>]*>([^<]*)<\/word>/g)].map((w) => decodeXml(w[1] ?? '')).join(' ')),
    })),
  }));
}

/**
 * The body lines of each column of each page — the running header and footer (in the page margins) left out —
 * top to bottom: the lines a page or a column starts and ends with.
 */
export function pdfColumns(pdf: Buffer, options: { twoColumns: boolean }): Array<{ page: number; lines: PdfLine[] }> {
  return pdfPageLines(pdf).flatMap((page, index) => {
    const body = page.lines.filter((l) => l.text !== '' && l.yMin >= TOP_MARGIN_PT && l.yMax <= page.height - BOTTOM_MARGIN_PT);
    const middle = page.width / 2;
    const byHeight = (lines: PdfLine[]): PdfLine[] => [...lines].sort((a, b) => a.yMin - b.yMin);
    const columns = options.twoColumns ? [body.filter((l) => l.xMin < middle), body.filter((l) => l.xMin >= middle)] : [body];
    return columns.filter((lines) => lines.length > 0).map((lines) => ({ page: index + 1, lines: byHeight(lines) }));
  });
}

const decodeHtml = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, '&');

/** The text of every paragraph and list item of a handout's HTML, as a reader sees it (`normalizeText`). */
export function paragraphTexts(html: string): string[] {
  const body = html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<svg[\s\S]*?<\/svg>/g, '');
  return [...body.matchAll(/<(p|li)\b[^>]*>([\s\S]*?)<\/\1>/g)]
    .map((m) => normalizeText(decodeHtml((m[2] ?? '').replace(/<[^>]+>/g, ' ')).replace(/ ([.,;:!?)])/g, '$1')))
    .filter((text) => text !== '');
}

/**
 * The breaks (page or column) that leave one line alone of a longer paragraph: its last line at the top of a page or
 * column (a widow) or its first line at the bottom (an orphan). A break splits a paragraph when the line before it
 * and the line after it run on in one paragraph of the HTML; headings, labels and paragraphs that begin after the
 * break are not split.
 */
export function loneLines(columns: ReadonlyArray<{ page: number; lines: readonly PdfLine[] }>, paragraphs: readonly string[]): string[] {
  const squeeze = (t: string): string => t.replace(/\s+/g, '');
  const squeezed = paragraphs.map(squeeze);
  const found: string[] = [];
  for (let index = 1; index < columns.length; index += 1) {
    const before = columns[index - 1]?.lines;
    const after = columns[index]?.lines;
    const last = before?.at(-1);
    const first = after?.[0];
    if (before === undefined || after === undefined || last === undefined || first === undefined) {
      continue;
    }
    const across = squeeze(`${last.text}${first.text}`);
    const split = squeezed.filter((p) => p.includes(across));
    if (split.length === 0) {
      continue;
    }
    const where = `page ${columns[index - 1]?.page}→${columns[index]?.page}`;
    if (split.every((p) => p.startsWith(squeeze(last.text)))) {
      found.push(`${where}: the first line alone before the break: "${last.text}"`);
    }
    if (split.every((p) => p.endsWith(squeeze(first.text)))) {
      found.push(`${where}: the last line alone after the break: "${first.text}"`);
    }
  }
  return found;
}
