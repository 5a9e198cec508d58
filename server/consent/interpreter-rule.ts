/**
 * Language access at attestation (Section 1557, 45 CFR 92.201; research/peers-and-clinical-facts.md §2.4): when the
 * patient's preferred language is not the language of the printed handout or of the discussion, "no interpreter was
 * needed" is a claim the record must explain, so it is refused unless the clinician gives the reason. When an
 * interpreter was used, who and how are required by the checklist itself (`requiredWhen` on `interpreter-id` and
 * `interpreter-modality`). Pure: the attest route and `npm run render` apply the same check.
 */
import type { Checklist } from '../content/checklist-schema';
import { primaryLanguageSubtag } from '../content/content-packs';
import type { AttestationCheck, ChecklistAnswers, InvalidItem } from './checklist-model';
import { validateForAttestation } from './checklist-model';
import type { Scenario } from '../content/scenario';
import { languageLabel } from './discussion-snapshot';

/** The languages the rule compares, as the discussion record pins them. */
export interface DiscussionLanguages {
  /** The patient's preferred language from the chart (BCP 47); undefined when the chart records none. */
  preferred?: string;
  /** The language of the handout pack printed for the patient. */
  handout: string;
}

const USED = 'interpreter-used';
const NOT_NEEDED = 'not-needed';
const REASON = 'interpreter-not-needed-reason';
const DISCUSSION_LANGUAGE = 'discussion-language';

/**
 * The language the discussion was held in without an interpreter: English, the patient's own (the clinician speaks
 * it), or — left blank, as the item says — the handout's.
 */
function discussionLanguage(answers: ChecklistAnswers, languages: DiscussionLanguages, preferred: string): string {
  const said = answers[DISCUSSION_LANGUAGE]?.value;
  if (said === 'en') {
    return 'en';
  }
  return said === 'patient-language' ? preferred : languages.handout;
}

/**
 * What differs from the patient's preferred language, in words ("the handout is in English (en)"); empty when
 * nothing does or the chart records no preferred language (there is then nothing to compare: the checklist still
 * asks the clinician to confirm the language with the patient).
 */
export function languageMismatches(languages: DiscussionLanguages, answers: ChecklistAnswers): string[] {
  const preferred = languages.preferred === undefined ? undefined : primaryLanguageSubtag(languages.preferred);
  if (preferred === undefined) {
    return [];
  }
  const handout = primaryLanguageSubtag(languages.handout) ?? languages.handout;
  const spoken = primaryLanguageSubtag(discussionLanguage(answers, languages, preferred)) ?? handout;
  const mismatches: string[] = [];
  if (handout !== preferred) {
    mismatches.push(`the handout is in ${languageLabel(handout)}`);
  }
  if (spoken !== preferred) {
    mismatches.push(`the discussion was in ${languageLabel(spoken)}`);
  }
  return mismatches;
}

/** The languages a discussion record pins: the chart's preferred language and the printed pack's. */
export function languagesOf(record: { preferredLanguage?: string; pack: { language: string } }): DiscussionLanguages {
  return record.preferredLanguage === undefined ? { handout: record.pack.language } : { preferred: record.preferredLanguage, handout: record.pack.language };
}

/** The refusal of "not needed" without a reason when the languages differ (none otherwise). */
export function interpreterProblems(checklist: Checklist, answers: ChecklistAnswers, languages: DiscussionLanguages): InvalidItem[] {
  if (answers[USED]?.value !== NOT_NEEDED) {
    return [];
  }
  const reason = answers[REASON]?.value;
  if (typeof reason === 'string' && reason.trim() !== '') {
    return [];
  }
  const mismatches = languageMismatches(languages, answers);
  if (mismatches.length === 0) {
    return [];
  }
  const item = checklist.items.find((i) => i.id === USED);
  const preferred = languageLabel(primaryLanguageSubtag(languages.preferred ?? '') ?? '');
  return [{
    id: USED,
    text: item?.text ?? USED,
    why: `"Not needed" cannot be recorded: the patient's preferred language is ${preferred}, but ${mismatches.join(' and ')}. ` +
      'Record the qualified interpreter who took part, or write why no interpreter was needed.',
  }];
}

/** `validateForAttestation` and the interpreter rule together: the one check before a discussion is attested. */
export function attestationCheck(
  checklist: Checklist,
  answers: ChecklistAnswers,
  activeFlags: readonly string[],
  languages: DiscussionLanguages,
  scenario?: Scenario,
): AttestationCheck {
  const check = validateForAttestation(checklist, answers, activeFlags, scenario);
  const interpreter = interpreterProblems(checklist, answers, languages);
  if (interpreter.length === 0) {
    return check;
  }
  return check.ok
    ? { ok: false, missing: [], invalid: interpreter }
    : { ok: false, missing: check.missing, invalid: [...check.invalid, ...interpreter] };
}
