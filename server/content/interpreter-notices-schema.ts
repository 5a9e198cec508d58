/**
 * The shape of the language-help notices (`content/handout/interpreter-notices.json`): one short notice per language,
 * printed on the handout in the patient's preferred language, telling them that language help is free and how to
 * ask for an interpreter. Section 1557 (45 CFR 92.11) asks for such a notice in at least the 15 most common
 * languages; research/peers-and-clinical-facts.md §2.4. The HHS OCR sample taglines are the cited reference for what
 * a notice must say; the sentences are written for this product.
 *
 * Each translation carries its own review: it stays `needs-translator-review` until a qualified translator signs it
 * off (45 CFR 92.201(c)(3)), and the clinician is shown that status with the notice.
 */
import { z } from 'zod';
import { citationSchema, duplicates } from './content-schema';

const slug = z.string().regex(/^[a-z0-9]+(?:[-.][a-z0-9]+)*$/, 'lower-case id: letters, digits, "-" or "."');
const text = (max: number): z.ZodString => z.string().trim().min(1).max(max);

/**
 * The 15 most common non-English languages spoken at home in the US (the brief's list, in that order), by primary
 * BCP 47 subtag: every one must have a notice.
 */
export const REQUIRED_NOTICE_LANGUAGES = ['es', 'zh', 'tl', 'vi', 'ar', 'fr', 'ko', 'ru', 'ht', 'de', 'hi', 'pt', 'it', 'pl', 'ja'] as const;

/** A primary language subtag, optionally with a script ("zh-Hant"): the forms a notice is kept under. */
const noticeLanguage = z.string().regex(/^[a-z]{2,3}(?:-[A-Z][a-z]{3})?$/, 'a language subtag, optionally with a script, e.g. "zh-Hant"');

export const translationReviewSchema = z
  .strictObject({
    status: z.enum(['needs-translator-review', 'translator-approved']),
    /** The qualified translator who signed the text off (name and credential). */
    reviewedBy: text(200).nullable(),
    reviewedAt: z.iso.date().nullable(),
    note: text(1000),
  })
  .refine((r) => r.status === 'needs-translator-review' || (r.reviewedBy !== null && r.reviewedAt !== null), {
    message: 'a translator-approved notice names its translator and review date',
  });

export const interpreterNoticeSchema = z.strictObject({
  language: noticeLanguage,
  /** The language's English name, for the clinician. */
  name: text(60),
  /** The language's own name for itself. */
  nativeName: text(60),
  /** Writing direction: Arabic is set right to left. */
  dir: z.enum(['ltr', 'rtl']),
  text: text(600),
  sources: z.array(slug).min(1),
  review: translationReviewSchema,
});

export const interpreterNoticesSchema = z
  .strictObject({
    id: slug,
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** What every notice must say (the check a translator makes). */
    purpose: text(1000),
    /** The English text every translation renders. */
    english: text(600),
    citations: z.array(citationSchema).min(1),
    notices: z.array(interpreterNoticeSchema).min(REQUIRED_NOTICE_LANGUAGES.length),
  })
  .superRefine((file, ctx) => {
    for (const problem of noticeIntegrityProblems(file)) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

export type TranslationReview = z.infer<typeof translationReviewSchema>;
export type InterpreterNotice = z.infer<typeof interpreterNoticeSchema>;
export type InterpreterNotices = z.infer<typeof interpreterNoticesSchema>;

/** Problems the per-field schema cannot see: a language missing or given twice, a source that cites nothing. */
export function noticeIntegrityProblems(file: {
  citations: readonly { id: string }[];
  notices: readonly { language: string; sources: readonly string[] }[];
}): string[] {
  const citationIds = new Set(file.citations.map((c) => c.id));
  const languages = new Set(file.notices.map((n) => n.language));
  return [
    ...duplicates(file.citations.map((c) => c.id)).map((id) => `duplicate citation id "${id}"`),
    ...duplicates(file.notices.map((n) => n.language)).map((language) => `two notices for language "${language}"`),
    ...REQUIRED_NOTICE_LANGUAGES.filter((language) => !languages.has(language)).map((language) => `no notice for required language "${language}"`),
    ...file.notices.flatMap((n) => n.sources.filter((id) => !citationIds.has(id)).map((id) => `notice "${n.language}": unknown citation id "${id}"`)),
  ];
}
