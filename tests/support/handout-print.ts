import { loadHandoutPack } from '../../server/content/content-packs';
import type { PdfRenderer } from '../../server/handout/pdf';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { renderHandoutHtml } from '../../server/handout/render-html';
import { normalizeText, pdfText } from './pdf-text';

/**
 * A handout for one patient, printed through a PDF pool the way the app prints it (its running header and footer),
 * for tests that feed the renderer hostile or unusual chart text.
 */
export function handoutInput(overrides: Partial<HandoutRenderInput> = {}): HandoutRenderInput {
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

export interface PrintedHandout {
  /** The PDF's text, whitespace normalised. */
  text: string;
  /** Scheme and host of every request the renderer refused. */
  blocked: string[];
  pdf: Buffer;
}

/** Prints `input` (or `html`, e.g. the handout with something spliced in) with the handout's header and footer. */
export async function printHandout(renderer: PdfRenderer, input: HandoutRenderInput, html = renderHandoutHtml(input)): Promise<PrintedHandout> {
  const { pdf, blockedRequests } = await renderer.render(html);
  return { text: normalizeText(pdfText(pdf)), blocked: blockedRequests, pdf };
}
