/**
 * Chromium's print settings for the handout, and the running header and footer it prints in the page margins of the PDF (`page.pdf({ headerTemplate,
 * footerTemplate })`, https://pptr.dev/api/puppeteer.pdfoptions). The templates are HTML, so the header text —
 * which carries the patient's and clinician's names — is escaped like any chart value. Chromium fills the
 * `pageNumber` and `totalPages` spans itself.
 *
 * Templates get no page styles and a default font size too small to read, so every size is explicit; the side
 * padding matches the page margins of the handout stylesheet.
 */
import type { PDFOptions } from 'puppeteer';
import { escapeHtml } from '../http/html';
import { labelsFor } from './render-labels';

export interface RunningTextOptions {
  headerText: string;
  footerText?: string;
  language: string;
  largePrint?: boolean;
}

export interface PrintOptions extends RunningTextOptions {
  /** Paper size when the document does not set one (default US Letter). */
  paper?: 'letter' | 'a4';
}

const FONT = "'Noto Sans', 'Noto Sans Arabic', 'Noto Sans CJK SC', 'DejaVu Sans', sans-serif";

function frame(largePrint: boolean | undefined, inner: string): string {
  const size = largePrint ? '12pt' : '9pt';
  return `<div style="width:100%;box-sizing:border-box;padding:0 15mm;font-family:${FONT};font-size:${size};color:#333;display:flex;justify-content:space-between;gap:8mm;">${inner}</div>`;
}

export function headerTemplate(options: RunningTextOptions): string {
  const text = escapeHtml(options.headerText.slice(0, 400));
  return frame(options.largePrint, `<span style="unicode-bidi:isolate;">${text}</span>`);
}

export function footerTemplate(options: RunningTextOptions): string {
  const labels = labelsFor(options.language);
  const left = escapeHtml((options.footerText ?? '').slice(0, 200));
  const page = `${escapeHtml(labels.page)} <span class="pageNumber"></span> ${escapeHtml(labels.pageOf)} <span class="totalPages"></span>`;
  return frame(options.largePrint, `<span>${left}</span><span style="white-space:nowrap;">${page}</span>`);
}

/** Chromium's print settings: tagged (screen readers), backgrounds (the boxes' tints), our header and footer. */
export function pdfOptions(options: PrintOptions, timeout: number): PDFOptions {
  return {
    tagged: true,
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate: headerTemplate(options),
    footerTemplate: footerTemplate(options),
    preferCSSPageSize: true,
    format: options.paper ?? 'letter',
    timeout,
  };
}

