/**
 * The patient handout as one self-contained HTML document: the content pack × the patient's tailoring flags ×
 * language × print options. Pure: the same input always gives the same bytes (the PDF's hash is filed with the
 * discussion record).
 *
 * Security (research security-reliability §5.2–5.3): every value from the chart or the clinician is escaped by the
 * `html` template; names are bidi-isolated (`<bdi dir="auto">`) so an Arabic or Hebrew name cannot reorder the
 * text around it; the document carries no script and no URL of any kind (inline `<style>` only) and a CSP that
 * forbids loading anything, so even an escaping bug could not make the PDF renderer fetch a file or a URL.
 */
import { badRequest } from '../errors';
import { html, SafeHtml } from '../http/html';
import type { ClinicContact } from '../config';
import { MAX_CLINICIAN_NOTES, MAX_TEXT_CHARS } from '../consent/checklist-model';
import type { HandoutPack, TailoringFlagId } from '../content/content-schema';
import type { InterpreterNotice } from '../content/interpreter-notices-schema';
import type { Scenario } from '../content/scenario';
import { appliesToScenario, scenarioFromFlags } from '../content/scenario';
import type { RunningText } from './handout-styles';
import { handoutCopyCss, handoutCss } from './handout-styles';
import type { BlockContext } from './render-blocks';
import { renderSection, visibleSections } from './render-blocks';
import type { RenderLabels } from './render-labels';
import { formatDiscussionDate, formatFhirDate, labelsFor } from './render-labels';

export interface HandoutRenderInput {
  /** The pack chosen for the patient's language (`pickPackForLanguage`). */
  pack: HandoutPack;
  /** Patient-facing flags after the clinician's dismissals. */
  activeFlags: TailoringFlagId[];
  /** Indication and procedure (from the flags, or as the clinician chose); read off `activeFlags` when absent. */
  scenario?: Scenario;
  /** Plain names of the chart findings behind each active flag (chart text: escaped and bounded when printed). */
  flagEvidence?: Partial<Record<TailoringFlagId, readonly string[]>>;
  /** What the chart knows about the pump, printed in its write-in lines (else the lines stay blank). */
  pump?: { drug?: string; model?: string };
  /** The clinic on every page (configuration). */
  clinic?: ClinicContact;
  patient: { name?: string; birthDate?: string };
  clinicianName?: string;
  /** ISO date of the discussion, printed in the pack language's format. */
  date: string;
  /** Print the interpreter notice (the patient's language has no pack). */
  interpreterNeeded: boolean;
  /** Print the notice that parts of the record could not be read, so the handout may not list every risk. */
  chartNotFullyRead?: boolean;
  /** The language-help notice in the patient's preferred language (`interpreterNoticeFor`), when it is not English. */
  languageNotice?: InterpreterNotice;
  largePrint: boolean;
  /** Free text the clinician added for the patient: printed in its own box, escaped, line breaks kept. */
  clinicianNotes: string[];
  /** Print a visible DRAFT mark (the sandbox prints drafts; production refuses them upstream). */
  draft: boolean;
  /**
   * Where the handout is printed: from the browser (the default) or as the PDF, whose page footer also names the
   * pack and its version, because the PDF is the copy filed to the chart. Both print the running text from the
   * document's CSS page-margin boxes.
   */
  printTarget?: 'browser' | 'pdf';
}

export type HandoutHeaderInput = Pick<HandoutRenderInput, 'pack' | 'patient' | 'clinicianName' | 'date' | 'draft'>;

/** The meta CSP of the document: nothing may be loaded except inline styles and `data:` images and fonts. */
export const HANDOUT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";

/** Bounds on chart and clinician text (the chart mapping caps too; the renderer does not rely on it). */
const MAX_NAME = 200;
const MAX_DATE = 40;
/** Packs in these languages are set right to left (none ships yet; names are isolated either way). */
const RTL_LANGUAGES = new Set(['ar', 'fa', 'he', 'ur', 'yi']);

/** Chart text for one line: control characters become spaces, the length is bounded. */
function oneLine(value: string | undefined, max: number): string | undefined {
  const cleaned = value?.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  if (!cleaned) {
    return undefined;
  }
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}

/** First-strong isolate … pop: the plain-text form of `unicode-bidi: isolate`, for the PDF's page header. */
function isolated(text: string): string {
  return `\u2068${text}\u2069`;
}

/**
 * "Name · born … · date · clinician" for the top of every page. Names are wrapped in bidi isolates so that a
 * right-to-left name keeps the separators and dates around it in place. A draft pack says so first.
 */
export function handoutHeaderText(input: HandoutHeaderInput): string {
  const language = input.pack.language;
  const labels = labelsFor(language);
  const name = oneLine(input.patient.name, MAX_NAME);
  const birthDate = oneLine(input.patient.birthDate, MAX_DATE);
  const clinician = oneLine(input.clinicianName, MAX_NAME);
  const parts = [
    input.draft ? labels.draftMark : undefined,
    name === undefined ? labels.nameLine : isolated(name),
    birthDate === undefined ? undefined : `${labels.born} ${formatFhirDate(birthDate, language)}`,
    formatDiscussionDate(input.date, language),
    clinician === undefined ? undefined : isolated(clinician),
  ];
  return parts.filter((part) => part !== undefined).join(' · ');
}

/** The clinic line on every page: "Sandbox Pain Clinic · 555-0100 · nights and weekends 555-0199". */
export function clinicLine(clinic: ClinicContact | undefined, language: string): string | undefined {
  if (clinic === undefined) {
    return undefined;
  }
  const labels = labelsFor(language);
  const name = oneLine(clinic.name, 80) ?? '';
  return `${name} · ${oneLine(clinic.phone, 30) ?? ''} · ${labels.afterHours} ${oneLine(clinic.afterHoursPhone, 30) ?? ''}`;
}

/**
 * The page footer: the clinic and its numbers (so every page says whom to call), then the pack's id, version and
 * language (which reviewed text this copy was printed from).
 */
export function handoutFooterText(pack: HandoutPack, clinic?: ClinicContact): string {
  const version = `${pack.id} ${pack.version} (${pack.language})`;
  const line = clinicLine(clinic, pack.language);
  return line === undefined ? version : `${line} · ${version}`;
}

/** The pack's title for this scenario ("A Baclofen Pump for Spasticity" for spasticity). */
export function handoutTitle(pack: HandoutPack, scenario: Scenario): string {
  return pack.titles.find((t) => appliesToScenario(t.appliesTo, scenario))?.text ?? pack.title;
}

function scenarioOf(input: HandoutRenderInput): Scenario {
  return input.scenario ?? scenarioFromFlags(input.activeFlags);
}

function copyFacts(input: HandoutRenderInput, labels: RenderLabels): SafeHtml {
  const language = input.pack.language;
  const name = oneLine(input.patient.name, MAX_NAME);
  const birthDate = oneLine(input.patient.birthDate, MAX_DATE);
  const clinician = oneLine(input.clinicianName, MAX_NAME);
  const items = [
    name === undefined ? html`<li>${labels.nameLine}</li>` : html`<li><bdi dir="auto" class="isolate">${name}</bdi></li>`,
    birthDate === undefined ? '' : html`<li>${labels.born} ${formatFhirDate(birthDate, language)}</li>`,
    html`<li>${formatDiscussionDate(input.date, language)}</li>`,
    clinician === undefined ? '' : html`<li><bdi dir="auto" class="isolate">${clinician}</bdi></li>`,
  ];
  return html`<ul class="copy-facts" aria-label="${labels.aboutThisCopy}">${items}</ul>`;
}

function clinicianNotesBox(notes: readonly string[], labels: RenderLabels): SafeHtml {
  const kept = notes.map((note) => note.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]+/g, ' ').trim());
  const nonEmpty = kept.filter((note) => note.length > 0);
  if (nonEmpty.length === 0) {
    return html``;
  }
  return html`<section class="box care-team-notes" aria-labelledby="h-care-team-notes">
<h2 id="h-care-team-notes">${labels.clinicianNotes}</h2>
${nonEmpty.map((note) => html`<p dir="auto">${note}</p>`)}
</section>
`;
}

function checkNotes(notes: readonly string[]): void {
  if (notes.length > MAX_CLINICIAN_NOTES || notes.some((note) => note.length > MAX_TEXT_CHARS)) {
    throw badRequest(`Notes for the patient are limited to ${MAX_CLINICIAN_NOTES} notes of ${MAX_TEXT_CHARS} characters.`, {
      hint: 'Remove notes on the Checklist tab, then print again.',
    });
  }
}

/** A draft says so at the top of the first page and, through the running header, on every page. */
function draftBanner(draft: boolean, labels: RenderLabels): SafeHtml {
  return draft ? html`<p class="draft-banner" role="note">${labels.draftExplanation}</p>
` : html``;
}

/** A language's name in the pack's language ("árabe" in a Spanish pack), else the notice's English name. */
function languageName(notice: InterpreterNotice, packLanguage: string): string {
  try {
    return new Intl.DisplayNames([packLanguage], { type: 'language', fallback: 'none' }).of(notice.language) ?? notice.name;
  } catch {
    return notice.name;
  }
}

/**
 * The language-help notice in the patient's own language, marked up with its language and direction (fonts, screen
 * readers, right-to-left Arabic) and its translation review status; staff are told, in the pack's language, when no
 * qualified translator has signed it off yet.
 */
function languageHelp(input: HandoutRenderInput, labels: RenderLabels): SafeHtml {
  const notice = input.languageNotice;
  if (notice === undefined) {
    return html``;
  }
  const unreviewed = notice.review.status === 'translator-approved'
    ? html``
    : html`<p class="translation-review" data-review-status="${notice.review.status}">${labels.translationUnreviewed(languageName(notice, input.pack.language))}</p>`;
  return html`<p class="language-help" lang="${notice.language}" dir="${notice.dir}" data-notice="language-help" data-review-status="${notice.review.status}">${notice.text}</p>${unreviewed}`;
}

function interpreterNotice(input: HandoutRenderInput, labels: RenderLabels): SafeHtml {
  const notice = input.pack.notices.find((n) => n.id === 'interpreter-needed');
  const english = input.interpreterNeeded && notice !== undefined ? html`<p>${notice.text}</p>` : html``;
  const help = languageHelp(input, labels);
  if (english.toString() === '' && help.toString() === '') {
    return html``;
  }
  return html`<aside class="box interpreter" role="note" data-notice="${input.interpreterNeeded ? 'interpreter-needed' : 'language-help'}">${english}${help}</aside>
`;
}

/**
 * When a chart read the tailoring depends on failed, the handout may lack a risk that applies to this patient; the
 * patient is told so in plain words (the clinician sees which parts, and confirms reviewing them, in the app).
 */
function chartNotReadNotice(input: HandoutRenderInput): SafeHtml {
  const notice = input.pack.notices.find((n) => n.id === 'chart-not-read');
  return input.chartNotFullyRead === true && notice !== undefined
    ? html`<aside class="box chart-not-read" role="note" data-notice="${notice.id}"><p>${notice.text}</p></aside>
`
    : html``;
}

const PHONE_MAX = 30;

function blockContext(input: HandoutRenderInput, labels: RenderLabels): BlockContext {
  const drug = oneLine(input.pump?.drug, MAX_NAME);
  const model = oneLine(input.pump?.model, MAX_NAME);
  const phone = oneLine(input.clinic?.phone, PHONE_MAX);
  const afterHours = oneLine(input.clinic?.afterHoursPhone, PHONE_MAX);
  const evidence = Object.fromEntries(
    Object.entries(input.flagEvidence ?? {}).map(([flag, names]) => [flag, (names ?? []).slice(0, 20).map((name) => oneLine(name, MAX_NAME) ?? '')]),
  );
  return {
    citations: new Map(input.pack.citations.map((citation) => [citation.id, citation])),
    evidence,
    known: {
      ...(drug === undefined ? {} : { 'pump-drug': drug }),
      ...(model === undefined ? {} : { 'pump-model': model }),
      ...(phone === undefined ? {} : { 'clinic-phone': phone }),
      ...(afterHours === undefined ? {} : { 'after-hours-phone': afterHours }),
    },
    words: { and: labels.and, more: labels.more, fallback: labels.recordFinding },
  };
}

function clinicBanner(input: HandoutRenderInput): SafeHtml {
  const line = clinicLine(input.clinic, input.pack.language);
  return line === undefined ? html`` : html`<p class="clinic-line">${line}</p>
`;
}

function body(input: HandoutRenderInput, labels: RenderLabels): SafeHtml {
  const ctx = blockContext(input, labels);
  const scenario = scenarioOf(input);
  const visible = visibleSections(input.pack, input.activeFlags, scenario);
  const [first, ...rest] = visible.filter((v) => v.section.part === 'main').map((v) => renderSection(v, ctx));
  const appendix = visible.filter((v) => v.section.part === 'appendix').map((v) => renderSection(v, ctx));
  return html`<header>
${draftBanner(input.draft, labels)}<h1>${handoutTitle(input.pack, scenario)}</h1>
${copyFacts(input, labels)}${clinicBanner(input)}
</header>
<main>
${interpreterNotice(input, labels)}${chartNotReadNotice(input)}${first ?? ''}${clinicianNotesBox(input.clinicianNotes, labels)}${rest}</main>
${appendix.length === 0 ? '' : html`<div class="appendix">${appendix}</div>`}`;
}

/**
 * The running header and footer on every printed page (CSS page-margin boxes), in the PDF and in the browser's
 * print alike. The PDF's footer also names the pack and version: it is the copy filed to the chart.
 */
function runningText(input: HandoutRenderInput, labels: RenderLabels): RunningText {
  const footer = input.printTarget === 'pdf' ? handoutFooterText(input.pack, input.clinic) : clinicLine(input.clinic, input.pack.language);
  return { header: handoutHeaderText(input), footer, page: labels.page, pageOf: labels.pageOf, largePrint: input.largePrint === true };
}

/**
 * The stylesheet of the app page's print-only copy of this handout (`handoutCopyCss`): what the app page's own
 * print (Ctrl+P) prints, with the same running header and footer as the preview.
 */
export function renderHandoutCopyCss(input: HandoutRenderInput): string {
  return handoutCopyCss(runningText(input, labelsFor(input.pack.language)));
}

/**
 * The complete handout document. The page title is the pack's title only: PDF metadata carries no patient data.
 * Throws `bad_request` for a discussion date that is not a real ISO date or for oversized clinician notes.
 */
export function renderHandoutHtml(input: HandoutRenderInput): string {
  checkNotes(input.clinicianNotes);
  const labels = labelsFor(input.pack.language);
  const language = input.pack.language;
  const running = runningText(input, labels);
  return html`<!doctype html>
<html lang="${language}" dir="${RTL_LANGUAGES.has(language) ? 'rtl' : 'ltr'}" class="${input.largePrint ? 'large-print' : 'normal-print'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HANDOUT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${handoutTitle(input.pack, scenarioOf(input))}</title>
<style>${new SafeHtml(handoutCss(running))}</style>
</head>
<body>
${body(input, labels)}
</body>
</html>
`.value;
}
