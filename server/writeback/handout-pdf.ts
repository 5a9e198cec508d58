/**
 * The PDF filed with the note where the write profile takes one (the generic US Core profile: note text first, then
 * the PDF; research ehr-writeback.md §3.2): the handout exactly as the clinician downloads it for this discussion
 * (`handoutInputFor`: the pack, language and tailoring pinned in the record), rendered by the app's shared, lazily
 * started Chromium pool — so an app that files only to Epic or Oracle (text only) never starts a browser for it.
 * `printHandoutPdf` makes it the very bytes of every reprint of the discussion, so the SHA-256 in the note holds.
 */
import type { PdfInput } from '../../fhir-resources/document-reference';
import type { PatientContext } from '../chart/patient-context';
import type { Discussion } from '../consent/discussion';
import type { ContentApprovals } from '../content/content-approvals';
import { discussionTime, handoutInputFor, printOptionsFor } from '../handout/handout-document';
import type { LazyPdfRenderer } from '../handout/lazy-pdf-renderer';
import { printHandoutPdf } from '../handout/printed-pdf';

export interface HandoutPdfRequest {
  discussion: Discussion;
  /** The chart as read for this filing (the handout prints the patient's name and birth date from it). */
  context: PatientContext;
}

export interface HandoutPdfSource {
  render(request: HandoutPdfRequest): Promise<PdfInput>;
}

const PDF_TITLE = 'Intrathecal drug pump: patient handout as given in the discussion';

/**
 * @param requireApproved - production: a pack no reviewer approved is refused here too, as it is for printing.
 */
export function handoutPdfSource(pdf: LazyPdfRenderer, content: ContentApprovals, requireApproved: boolean): HandoutPdfSource {
  return {
    async render({ discussion, context }: HandoutPdfRequest): Promise<PdfInput> {
      const printable = await content.handoutToPrint(discussion.pack, printOptionsFor(discussion, requireApproved));
      const input = handoutInputFor(discussion, context, printable, { largePrint: false, printTarget: 'pdf' });
      const printedAt = discussionTime(discussion);
      const bytes = await printHandoutPdf(await pdf.get(), input, printedAt);
      return { bytes, title: PDF_TITLE, creation: printedAt.toISOString(), language: input.pack.language };
    },
  };
}
