/**
 * The few words the renderer prints around the content pack (page header, draft mark, "Page x of y"), in the
 * pack's language, and the dates in that language's format. The pack itself holds every clinical sentence; these
 * are layout words, so they live with the renderer rather than in each reviewed pack.
 *
 * A language with a pack but no entry here falls back to English layout words (the clinical text stays in the
 * pack's language): adding a pack should never break printing.
 */
import { badRequest } from '../errors';

export interface RenderLabels {
  /** Printed before the birth date: "born 3 May 1950". */
  born: string;
  /** Printed when the chart has no name, leaving a line to write it in by hand. */
  nameLine: string;
  /** Heading of the box holding what the clinician added for this patient. */
  clinicianNotes: string;
  /** The word for "Page" and "of" in "Page 2 of 9". */
  page: string;
  pageOf: string;
  /** The big mark on a draft pack and the sentence that explains it. */
  draftMark: string;
  draftExplanation: string;
  /** Screen-reader name of the row of facts under the title. */
  aboutThisCopy: string;
  /** Before the after-hours number on every page. */
  afterHours: string;
  /** Joining named chart findings: "apixaban and clopidogrel", "… and 2 more". */
  and: string;
  more: (count: number) => string;
  /** When a tailored paragraph has no chart finding to name (the clinician chose it). */
  recordFinding: string;
  /** Under a language-help notice no qualified translator has signed off yet ("Arabic"). */
  translationUnreviewed: (language: string) => string;
}

const LABELS: Readonly<Record<string, RenderLabels>> = {
  en: {
    born: 'born',
    nameLine: 'Name: ____________________',
    clinicianNotes: 'Notes from your care team',
    page: 'Page',
    pageOf: 'of',
    draftMark: 'DRAFT',
    draftExplanation: 'DRAFT: this handout has not been approved by a clinical reviewer. Do not use it with patients.',
    aboutThisCopy: 'Who this copy is for',
    afterHours: 'nights and weekends',
    and: 'and',
    more: (count) => `${count} more`,
    recordFinding: 'something in your health record',
    translationUnreviewed: (language) => `Staff: the ${language} notice above has not yet been checked by a qualified translator.`,
  },
  es: {
    born: 'nacimiento:',
    nameLine: 'Nombre: ____________________',
    clinicianNotes: 'Notas de su equipo de atención',
    page: 'Página',
    pageOf: 'de',
    draftMark: 'BORRADOR',
    draftExplanation:
      'BORRADOR: un revisor clínico no ha aprobado este folleto. No lo use con pacientes.',
    aboutThisCopy: 'Para quién es esta copia',
    afterHours: 'noches y fines de semana',
    and: 'y',
    more: (count) => `${count} más`,
    recordFinding: 'algo en su historia clínica',
    translationUnreviewed: (language) => `Personal: un traductor calificado aún no ha revisado el aviso en ${language} de arriba.`,
  },
};

export function labelsFor(language: string): RenderLabels {
  return LABELS[language] ?? LABELS.en;
}

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

interface ParsedDate {
  date: Date;
  precision: 'year' | 'month' | 'day';
}

/** A FHIR `date` (year, year-month or full date) that names a real day; undefined otherwise (2026-02-30). */
function parseFhirDate(value: string): ParsedDate | undefined {
  const match = FHIR_DATE.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month ?? '1') - 1, Number(day ?? '1')));
  const real = date.getUTCMonth() === Number(month ?? '1') - 1 && date.getUTCDate() === Number(day ?? '1');
  if (!real) {
    return undefined;
  }
  if (day !== undefined) {
    return { date, precision: 'day' };
  }
  return { date, precision: month !== undefined ? 'month' : 'year' };
}

const PRECISION_FORMAT: Record<ParsedDate['precision'], Intl.DateTimeFormatOptions> = {
  year: { timeZone: 'UTC', year: 'numeric' },
  month: { timeZone: 'UTC', year: 'numeric', month: 'long' },
  day: { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' },
};

/**
 * A FHIR date ("1950", "1950-05" or "1950-05-03") in the language's long format. Partial dates stay partial: a
 * birth year alone is never printed as 1 January. Anything else is returned as it came (the caller escapes it),
 * because a strange birth date on the chart should be visible rather than silently dropped.
 */
export function formatFhirDate(value: string, language: string): string {
  const parsed = parseFhirDate(value);
  return parsed ? new Intl.DateTimeFormat(language, PRECISION_FORMAT[parsed.precision]).format(parsed.date) : value.trim();
}

/** The discussion date, which must be a full ISO date: it is printed on every page and filed with the record. */
export function formatDiscussionDate(isoDate: string, language: string): string {
  const parsed = parseFhirDate(isoDate);
  if (parsed?.precision !== 'day') {
    throw badRequest('The discussion date must be a date such as 2026-11-25.');
  }
  return new Intl.DateTimeFormat(language, PRECISION_FORMAT.day).format(parsed.date);
}
