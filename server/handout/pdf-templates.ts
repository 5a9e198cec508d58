/**
 * Chromium's print settings for the handout (`page.pdf`, https://pptr.dev/api/puppeteer.pdfoptions). The running
 * header, the clinic footer and "Page x of y" are in the document itself, as CSS page-margin boxes
 * (`handout-styles.ts`), not Chromium's header and footer templates: the templates cost each PDF about a tenth more
 * CPU and a renderer's worth of memory (bench-results/latest.md), and the margin boxes are what the browser's own print
 * shows, so the PDF and a printout from the preview carry the same running text, escaped once, as a CSS string.
 */
import type { PDFOptions } from 'puppeteer';

/**
 * Chromium's print settings: tagged (screen readers), backgrounds (the boxes' tints), US Letter unless the document
 * sets its own page size. The document carries everything else, so there is nothing per render to choose.
 */
export function pdfOptions(timeout: number): PDFOptions {
  return {
    tagged: true,
    printBackground: true,
    displayHeaderFooter: false,
    preferCSSPageSize: true,
    format: 'letter',
    timeout,
  };
}
