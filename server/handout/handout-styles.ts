/**
 * The handout's one inline stylesheet: screen, print and the large-print variant.
 *
 * Health-literacy layout (research peers-and-clinical-facts §2.3; AHRQ toolkit tools 11–12): a plain sans-serif
 * body at 12 pt (the 12–14 pt band), 16 pt in large print (large-print guidance asks 16–18 pt), generous line
 * spacing, short left-aligned lines, no hyphenation (split words are harder to read) and boxes that set the key
 * points, cautions and emergencies apart by border and label as well as by tint, so a black-and-white copy keeps
 * them. Page breaks never split a list item, a box or a write-in line, and a heading never ends a page.
 *
 * Everything here is static: no value from the chart is ever interpolated into CSS.
 */

/** Fonts Debian's fonts-noto-core / fonts-noto-cjk install for the renderer; the last ones are for browser print. */
const FONT_STACK =
  '"Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC", "DejaVu Sans", Arial, sans-serif';

/**
 * The selectors of the handout's root and body: the document's own (`:root`, `html`, `body`), or, for the copy the
 * app page prints (`handoutCopyCss`), the copy's container as the `:scope` of an `@scope` rule.
 */
interface Roots {
  root: string;
  html: string;
  body: string;
}

const DOCUMENT_ROOTS: Roots = { root: ':root', html: 'html', body: 'body' };
const COPY_ROOTS: Roots = { root: ':scope', html: ':scope', body: ':scope' };

/**
 * The body type sizes, normal and large print. Large print stays at 16 pt, the low end of the usual large-print
 * guidance (16–18 pt): the page limits of large print are derived from this ratio (docs/large-print.md).
 */
export const BODY_SIZE_PT = { normal: 12, large: 16 } as const;

const base = ({ root, html, body }: Roots): string => `
${root} { --body: ${BODY_SIZE_PT.normal}pt; --h1: 18pt; --h2: 14.5pt; --h3: 12.5pt; --gap: 0.3em; }
${root}.large-print { --body: ${BODY_SIZE_PT.large}pt; --h1: 21pt; --h2: 18pt; --h3: 16.5pt; --gap: 0.35em; line-height: 1.25; }
* { box-sizing: border-box; }
${html} { font-family: ${FONT_STACK}; font-size: var(--body); line-height: 1.3; color: #000; background: #fff; }
${body} { margin: 0 auto; max-width: 46em; padding: 1em; hyphens: manual; overflow-wrap: break-word; }
h1 { font-size: var(--h1); line-height: 1.2; margin: 0 0 0.3em; }
h2 { font-size: var(--h2); line-height: 1.2; margin: 0.6em 0 0.25em; padding-bottom: 0.1em; border-bottom: 1.5pt solid #1d4e89; }
h3 { font-size: var(--h3); margin: 0.5em 0 0.15em; }
p, ul, ol { margin: 0 0 var(--gap); }
ul, ol { padding-inline-start: 1.4em; }
li { margin-bottom: 0.1em; }
.clinic-line { font-weight: 700; margin: 0 0 0.6em; }
.finding { font-weight: 700; }
.diagram { margin: 0 0 var(--gap); }
.pump-diagram { display: block; width: 75%; max-width: 22em; height: auto; margin: 0 auto 0.3em; }
/* Normal print sets the patient pages in two columns: short lines read easily and the handout stays short. */
${root}.normal-print main { column-count: 2; column-gap: 7mm; }
${root}.normal-print .appendix .citations { column-count: 2; column-gap: 7mm; }
${root}.normal-print main > section:first-of-type h2, ${root}.normal-print main > :first-child h2 { margin-top: 0; }

.fill-in .field-value { flex: 1 1 8em; border-bottom: 1pt solid #000; font-weight: 700; }
.lead { font-weight: 700; margin-bottom: 0.25em; }
.copy-facts { margin: 0 0 1em; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; }
.copy-facts li { margin: 0; }
.isolate { unicode-bidi: isolate; }
`;

const BOXES = `
.box { border: 1.5pt solid #555; border-radius: 4pt; padding: 0.35em 0.7em; margin: 0 0 0.5em; }
.box > :last-child { margin-bottom: 0; }
.key-points { border-color: #1d4e89; background: #eef4fb; }
.warning { border-width: 2pt; border-inline-start-width: 7pt; border-color: #8a5a00; background: #fff7e0; }
.emergency { border-width: 3pt; border-color: #a00000; background: #fdeceb; }
.emergency .lead, .emergency h3 { color: #a00000; }
.interpreter { border-width: 3pt; border-color: #1d4e89; font-weight: 700; }
.interpreter .language-help { font-size: 1.15em; }
.interpreter .translation-review { font-weight: 400; font-size: 0.85em; }
.care-team-notes { border-style: dashed; }
.care-team-notes p { white-space: pre-line; }
.draft-banner { border: 3pt solid #a00000; color: #a00000; font-weight: 700; padding: 0.4em 0.8em; margin: 0 0 1em; }
.fill-in .field { display: flex; align-items: flex-end; gap: 0.6em; margin: 0 0 0.5em; }
.fill-in .field-label { flex: 0 1 auto; }
.fill-in .field-line { flex: 1 1 8em; border-bottom: 1pt solid #000; min-height: 1.6em; }
.citations { font-size: 0.8em; line-height: 1.25; }
.citations li { margin-bottom: 0.05em; }
.appendix { break-before: page; }
.appendix .block, .appendix p, .appendix li { font-size: 0.92em; }
.citations .url { overflow-wrap: anywhere; }
`;

/**
 * Print: margins that fit both A4 and US Letter (the running header and "Page x of y" footer are printed in the
 * top and bottom margins), no screen padding, and break rules that keep related lines together.
 */
const pageRule = (name = ''): string => `
@page ${name}{ margin: 22mm 15mm 20mm 15mm; }`;
const PAGE = pageRule();

const print = ({ html, body }: Roots): string => `
@media print {
  ${body} { max-width: none; padding: 0; }
  h1, h2, h3, .lead { break-after: avoid; }
  li, .box, .fill-in, .copy-facts, .draft-banner, tr, figure, .keep, h3 + p { break-inside: avoid; }
  /*
   * A paragraph is never split: the handout's paragraphs are a few lines each, and Chromium gives up orphans and
   * widows before it gives up a "break-avoid" (headings kept with their text, boxes kept whole), which left one line
   * alone at a page top in large print. A paragraph taller than a page or column still breaks (the last resort).
   */
  p { break-inside: avoid; }
  ${html}, ${body}, section, p, li, ul, ol { orphans: 2; widows: 2; }
}
`;

/**
 * A CSS string literal that cannot break out of itself or of the `<style>` element: every character other than
 * letters, digits, space, "." and "," is written as a six-digit hex escape (CSS Syntax §4.3.7), so no quote,
 * backslash, "<" or newline from the chart ever reaches the stylesheet as itself. Each escape ends with one space,
 * which the escape consumes: without it a space the text has after an escaped character would be taken as the
 * escape's terminator and lost ("· born" printed "·born").
 */
export function cssString(text: string): string {
  const escaped = [...text].map((ch) => (/[A-Za-z0-9 .,]/.test(ch) ? ch : `\\${(ch.codePointAt(0) ?? 0).toString(16).padStart(6, '0')} `));
  return `"${escaped.join('')}"`;
}

export interface RunningText {
  header: string;
  /** The clinic and its numbers, at the foot of every page. */
  footer?: string;
  /** "Page" and "of", in the handout's language. */
  page: string;
  pageOf: string;
  /** Large print sets the running text larger too. */
  largePrint?: boolean;
}

/**
 * The header text and "Page x of y" in the page margins of every page (CSS page-margin boxes, Chromium 131+; other
 * browsers print the first-page header only): the PDF's and the browser's print alike. A named page gets them only
 * on its own pages.
 */
function marginBoxes(running: RunningText, name = ''): string {
  const pages = `${cssString(`${running.page} `)} counter(page) ${cssString(` ${running.pageOf} `)} counter(pages)`;
  const text = `font-size: ${running.largePrint === true ? '12pt' : '9pt'}; color: #333;`;
  return `
@page ${name}{
  @top-left { content: ${cssString(running.header)}; ${text} }
  @bottom-right { content: ${pages}; ${text} white-space: nowrap; }${running.footer === undefined ? '' : `
  @bottom-left { content: ${cssString(running.footer)}; ${text} }`}
}
`;
}

export function handoutCss(running: RunningText): string {
  return `${base(DOCUMENT_ROOTS)}${BOXES}${PAGE}${print(DOCUMENT_ROOTS)}${marginBoxes(running)}`;
}

/** The class of the app page's print-only copy of the handout (client/handout-view.ts). */
export const HANDOUT_COPY_CLASS = 'handout-print';
/**
 * The copy's pages are a named page (CSS Paged Media `page`), so its margins and running header and footer apply to
 * the pages the copy is printed on and to no other print of the app page: the stylesheet is in the page from the
 * moment the handout starts loading, which is before the clinician opens the Handout tab.
 */
const COPY_PAGE = 'handout-copy';

/**
 * The same stylesheet for the print-only copy of the handout in the app page, so that the app page's own print
 * (Ctrl+P) prints the handout as the preview prints it: page by page with the same break rules, running header
 * and footer. A framed preview cannot do that — an iframe prints only as one box, cut at the page edges. The rules
 * are scoped to the copy (`@scope`, Chromium 118+) and apply in print only, so the app's screen is untouched.
 */
export function handoutCopyCss(running: RunningText): string {
  return `@media print {
@scope (.${HANDOUT_COPY_CLASS}) {${base(COPY_ROOTS)}${BOXES}${print(COPY_ROOTS)}}
.${HANDOUT_COPY_CLASS} { page: ${COPY_PAGE}; }
${pageRule(`${COPY_PAGE} `)}${marginBoxes(running, `${COPY_PAGE} `)}}
`;
}
