/**
 * The shape of `content/tailoring/rules.json`: versioned, reviewed tailoring rules, each with its source and a small
 * declarative matcher over the coded chart facts. Rules are data so a clinician can review them without reading
 * code; the schema is strict so a typo is an error, not a rule that silently never fires.
 */
import { z } from 'zod';
import { reviewSchema, tailoringFlagIdSchema } from '../content/content-schema';

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case id: letters, digits and "-"');
const name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'a terminology or criterion name, e.g. "anticoagulant"');
const text = (max: number): z.ZodString => z.string().trim().min(1).max(max);
/** Words matched case-insensitively on word boundaries: the last resort when a concept has no verified code. */
const words = z.array(text(80)).min(1);
/** ICD-10-CM codes or prefixes, with or without the dot (`G47.33`, `G4733`); compared after normalising. */
const icd10 = z.array(z.string().regex(/^[A-Za-z][0-9A-Za-z.]{0,7}$/, 'an ICD-10-CM code or prefix')).min(1);
const codes = z.array(z.string().regex(/^[0-9A-Za-z-]{1,20}$/)).min(1);

export const medicationMatcherSchema = z.strictObject({
  /** Classes in the terminology subset (`medicationClasses.<name>`). */
  class: z.array(name).min(1).optional(),
  text: words.optional(),
  /** Route words that must appear in a dosage route (e.g. "intrathecal"). */
  route: words.optional(),
  /** Route words that exclude the medication (e.g. "topical" for a systemic-steroid rule). */
  notRoute: words.optional(),
  /** Also count planned orders (MedicationRequest `draft`, MedicationStatement `intended`). */
  planned: z.boolean().optional(),
});

export const conditionMatcherSchema = z.strictObject({
  /** Condition groups in the terminology subset (`conditions.<name>`: ICD-10-CM prefixes and codes, SNOMED codes). */
  group: z.array(name).min(1).optional(),
  icd10Prefix: icd10.optional(),
  snomed: codes.optional(),
  /** Words that must also appear in the condition's text (combined with the codes above: both must hold). */
  text: words.optional(),
  /** Count resolved, inactive and remitted conditions too: a *history* of the condition is what matters. */
  history: z.boolean().optional(),
});

export const observationMatcherSchema = z.strictObject({
  loinc: z.string().regex(/^\d{1,7}-\d$/, 'a LOINC code'),
  atLeast: z.number().optional(),
  atMost: z.number().optional(),
  /** The unit the threshold is in; a result in another unit (or none) never matches. */
  unit: text(20).optional(),
});

export const procedureMatcherSchema = z.strictObject({
  /** Procedure groups in the terminology subset (`procedures.<name>`). */
  group: z.array(name).min(1).optional(),
  cpt: codes.optional(),
});

export const deviceMatcherSchema = z.strictObject({
  text: words,
  notText: words.optional(),
  /** Only devices whose model number is recorded. */
  withModel: z.boolean().optional(),
});

/**
 * An allergy or intolerance recorded in the chart (AllergyIntolerance). Refuted, entered-in-error, inactive and
 * resolved entries never count. Matched on the substance's RxNorm codes in the named classes, or on its words.
 */
export const allergyMatcherSchema = z
  .strictObject({
    class: z.array(name).min(1).optional(),
    text: words.optional(),
  })
  .refine((m) => m.class !== undefined || m.text !== undefined, { message: 'an allergy matcher names a class or words' });

export type AllergyMatcher = z.infer<typeof allergyMatcherSchema>;
export type MedicationMatcher = z.infer<typeof medicationMatcherSchema>;
export type ConditionMatcher = z.infer<typeof conditionMatcherSchema>;
export type ObservationMatcher = z.infer<typeof observationMatcherSchema>;
export type ProcedureMatcher = z.infer<typeof procedureMatcherSchema>;
export type DeviceMatcher = z.infer<typeof deviceMatcherSchema>;

/** One test over the chart. The short forms (`medicationClass`, `medicationText`, `conditionIcd10Prefix`) read better in rules. */
export type Matcher =
  | { medicationClass: string | string[] }
  | { medicationText: string[] }
  | { medication: MedicationMatcher }
  | { conditionIcd10Prefix: string[] }
  | { condition: ConditionMatcher }
  | { observation: ObservationMatcher }
  | { procedure: ProcedureMatcher }
  | { device: DeviceMatcher }
  | { allergy: AllergyMatcher }
  | { ageAtLeast: number }
  | { criterion: string }
  | MatchGroup;

/**
 * Raised when every `all` holds, at least one `any` holds (if given) and no `none` holds. With `atLeast`, the `any`
 * matchers together must find at least that many distinct chart items ("two or more CNS depressants").
 */
export interface MatchGroup {
  any?: Matcher[];
  all?: Matcher[];
  none?: Matcher[];
  atLeast?: number;
}

export const matcherSchema: z.ZodType<Matcher> = z.lazy(() =>
  z.union([
    z.strictObject({ medicationClass: z.union([name, z.array(name).min(1)]) }),
    z.strictObject({ medicationText: words }),
    z.strictObject({ medication: medicationMatcherSchema }),
    z.strictObject({ conditionIcd10Prefix: icd10 }),
    z.strictObject({ condition: conditionMatcherSchema }),
    z.strictObject({ observation: observationMatcherSchema }),
    z.strictObject({ procedure: procedureMatcherSchema }),
    z.strictObject({ device: deviceMatcherSchema }),
    z.strictObject({ allergy: allergyMatcherSchema }),
    z.strictObject({ ageAtLeast: z.number().int().min(0).max(150) }),
    z.strictObject({ criterion: name }),
    matchGroupSchema,
  ]),
);

export const matchGroupSchema: z.ZodType<MatchGroup> = z.lazy(() =>
  z
    .strictObject({
      any: z.array(matcherSchema).min(1).optional(),
      all: z.array(matcherSchema).min(1).optional(),
      none: z.array(matcherSchema).min(1).optional(),
      atLeast: z.number().int().min(2).max(20).optional(),
    })
    .refine((group) => group.any !== undefined || group.all !== undefined, {
      message: 'a match group needs "any" or "all" (a group of only "none" would match an empty chart)',
    })
    .refine((group) => group.atLeast === undefined || group.any !== undefined, { message: '"atLeast" counts what "any" finds' }),
);

export const ruleSourceSchema = z.strictObject({
  id: slug,
  text: text(600),
  url: z.url({ protocol: /^https$/ }).optional(),
});

export const ruleSchema = z
  .strictObject({
    id: slug,
    audience: z.enum(['patient', 'clinician']),
    severity: z.enum(['info', 'caution', 'alert']),
    handoutFlag: tailoringFlagIdSchema.optional(),
    section: slug.optional(),
    /** Among flags of the same severity, a higher priority is shown first (default 0). */
    priority: z.number().int().min(0).max(100).optional(),
    title: text(160),
    /**
     * What the rule checks, as a short phrase for "… could not be read: <checks> were not checked from the chart"
     * (e.g. "infection risk"). Rules checking the same thing share the phrase, so it is said once.
     */
    checks: text(60),
    /** Clinician-facing; `{evidence}` is replaced by the matched chart items' displays. */
    reason: text(700),
    source: ruleSourceSchema,
    match: matchGroupSchema,
  })
  .refine((rule) => (rule.audience === 'patient') === (rule.handoutFlag !== undefined), {
    message: 'a patient rule raises a handout flag, and only a patient rule does',
  });

export const ruleSetSchema = z.strictObject({
  id: slug,
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semantic version, e.g. 1.0.0'),
  review: reviewSchema,
  /** Named match groups shared by several rules (`{ "criterion": "<name>" }`). */
  criteria: z.record(name, matchGroupSchema).default({}),
  rules: z.array(ruleSchema).min(1),
});

export type RuleSource = z.infer<typeof ruleSourceSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type RuleSet = z.infer<typeof ruleSetSchema>;
