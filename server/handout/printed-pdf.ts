/**
 * The handout PDF as every path prints it — the download, the reprint, the PDF filed with the note and the render
 * command — and the same bytes each time for the same discussion, so the SHA-256 recorded in the note can be
 * checked against any reprint.
 *
 * Chromium's PDF (Skia) is a function of the document except for its clock: the information dictionary's
 * CreationDate and ModDate. Both are set to the discussion's time. A trailer file identifier (/ID), which some
 * PDF writers fill with random bytes, is set to a digest of the document when present (Skia m156 writes none).
 * Every replacement has exactly the length of what it replaces, so the cross-reference offsets stay right.
 */
import crypto from 'node:crypto';
import type { PdfRenderer } from './pdf';
import type { HandoutRenderInput } from './render-html';
import { renderHandoutHtml } from './render-html';

/** `/CreationDate (D:20261124143600+00'00')` as Skia writes it; only this exact, fixed-length form is replaced. */
const PDF_INFO_DATE = /\/(CreationDate|ModDate) \(D:\d{14}[+-]\d{2}'\d{2}'\)/g;

/** `/ID [<hex> <hex>]` in the trailer (ISO 32000-1 §14.4): two byte strings written as hex. */
const PDF_FILE_ID = /\/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]/g;

/** `D:YYYYMMDDHHmmSS+00'00'`: a PDF date (ISO 32000-1 §7.9.4) in UTC, the same length as Skia's. */
function pdfDate(at: Date): string {
  return `D:${at.toISOString().slice(0, 19).replace(/[-T:]/g, '')}+00'00'`;
}

/**
 * The PDF with its information-dictionary dates set to `at`. A PDF without such dates is returned unchanged.
 */
export function withPdfDates(pdf: Buffer, at: Date): Buffer {
  const text = pdf.toString('latin1');
  const stamped = text.replace(PDF_INFO_DATE, (_match, key: string) => `/${key} (${pdfDate(at)})`);
  return stamped === text ? pdf : Buffer.from(stamped, 'latin1');
}

/**
 * The PDF with any trailer /ID set from its own content: the SHA-256 of the document with the identifiers blanked,
 * cut to each identifier's length. A PDF without /ID is returned unchanged.
 */
export function withContentFileId(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const blank = (hex: string): string => '0'.repeat(hex.length);
  const blanked = text.replace(PDF_FILE_ID, (match, first: string, second: string) => match.replace(first, blank(first)).replace(second, blank(second)));
  if (blanked === text) {
    return pdf;
  }
  const digest = crypto.createHash('sha256').update(blanked, 'latin1').digest('hex').toUpperCase();
  const idOf = (hex: string): string => digest.repeat(Math.ceil(hex.length / digest.length)).slice(0, hex.length);
  const fixed = text.replace(PDF_FILE_ID, (match, first: string, second: string) => match.replace(first, idOf(first)).replace(second, idOf(second)));
  return Buffer.from(fixed, 'latin1');
}

/** The PDF's clock- and chance-dependent bytes fixed: dates at `at`, the file identifier from the content. */
export function reproduciblePdf(pdf: Buffer, at: Date): Buffer {
  return withContentFileId(withPdfDates(pdf, at));
}

/**
 * The handout as a tagged PDF with its running header and footer, reproducible for `printedAt` (the discussion's
 * time: `discussionTime`), on the same Chromium build.
 */
export async function printHandoutPdf(renderer: PdfRenderer, input: HandoutRenderInput, printedAt: Date): Promise<Buffer> {
  const { pdf } = await renderer.render(renderHandoutHtml({ ...input, printTarget: 'pdf' }));
  return reproduciblePdf(pdf, printedAt);
}
