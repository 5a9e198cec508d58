/**
 * The PDF filed with the note where the write profile takes one (the generic US Core profile: note text first, then
 * the PDF; research ehr-writeback.md §3.2). It is the handout the patient was given — the pack, language and
 * tailoring pinned in the discussion record — rendered by the hardened Chromium pool (`handout/pdf.ts`). The pool
 * starts on the first filing that needs it, not at boot, so an app that files only to Epic or Oracle (text only)
 * never starts a browser.
 */
import type { PdfInput } from '../../fhir-resources/document-reference';
import type { PatientFacts } from '../chart/patient-context';
import type { Discussion } from '../consent/discussion';
import { AppError } from '../errors';
import { loadHandoutPack } from '../handout/content-packs';
import { PdfRenderer } from '../handout/pdf';
import type { HandoutRenderInput } from '../handout/render-html';
import { handoutFooterText, handoutHeaderText, renderHandoutHtml } from '../handout/render-html';
import type { Logger } from '../log';
import { activeHandoutFlags } from '../tailoring/engine';

export interface HandoutPdfRequest {
  discussion: Discussion;
  patient: PatientFacts | undefined;
}

export interface HandoutPdfSource {
  render(request: HandoutPdfRequest): Promise<PdfInput>;
  close(): Promise<void>;
}

const PDF_TITLE = 'Intrathecal drug pump: patient handout as given in the discussion';

/** The renderer's input for the handout of this discussion (pure). */
export function handoutInputOf(request: HandoutPdfRequest): HandoutRenderInput {
  const { discussion: d, patient } = request;
  const pack = loadHandoutPack(d.pack.language);
  if (pack.id !== d.pack.id || pack.version !== d.pack.version) {
    throw new AppError('conflict', 'The handout version this discussion used is no longer installed, so its PDF cannot be made again.', {
      details: { reason: 'handout_version_gone' },
    });
  }
  const shown = { flags: d.flagsShown, oralMme: undefined, painType: 'unknown' as const };
  return {
    pack,
    activeFlags: activeHandoutFlags(shown, d.dismissedFlags.map((f) => f.flagId)),
    patient: {
      ...(patient?.name === undefined ? {} : { name: patient.name }),
      ...(patient?.birthDate === undefined ? {} : { birthDate: patient.birthDate }),
    },
    ...(d.clinician.name === undefined ? {} : { clinicianName: d.clinician.name }),
    date: (d.attestedAt ?? d.createdAt).toISOString().slice(0, 10),
    interpreterNeeded: d.interpreterNeeded,
    largePrint: false,
    clinicianNotes: [],
    draft: pack.review.status !== 'approved',
    printTarget: 'pdf',
  };
}

/** A PDF source on a Chromium pool started at first use (one browser: filings are rare next to prints). */
export function chromiumHandoutPdfs(logger?: Logger): HandoutPdfSource {
  let pool: Promise<PdfRenderer> | undefined;
  const renderer = (): Promise<PdfRenderer> => {
    pool ??= PdfRenderer.start({ size: 1, ...(logger === undefined ? {} : { logger }) }).catch((error: unknown) => {
      pool = undefined;
      throw error;
    });
    return pool;
  };
  return {
    async render(request: HandoutPdfRequest): Promise<PdfInput> {
      const input = handoutInputOf(request);
      const { pdf } = await (await renderer()).render(renderHandoutHtml(input), {
        headerText: handoutHeaderText(input),
        footerText: handoutFooterText(input.pack),
        language: input.pack.language,
      });
      const attested = request.discussion.attestedAt ?? request.discussion.createdAt;
      return { bytes: pdf, title: PDF_TITLE, creation: attested.toISOString(), language: input.pack.language };
    },
    async close(): Promise<void> {
      const started = pool;
      pool = undefined;
      if (started !== undefined) {
        await (await started.catch(() => undefined))?.close();
      }
    },
  };
}
