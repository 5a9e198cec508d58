/**
 * The shape of the content packs in `content/`: the patient handout (one file per language), the clinician's
 * consent-discussion checklist and the list of facts from the seed page that every handout must cover.
 *
 * Clinical content is data so that a clinician can review it, a translator can translate it and a test can prove
 * it still covers the seed, without reading code. Each schema is strict: an unknown key is a typo, not an extension.
 */
import { z } from 'zod';
import { approvalCitationProblems } from './citation-identifiers';

/**
 * The tailoring flags a handout block or checklist item may depend on. The tailoring engine raises exactly these
 * ids; a block with `tailoring: <id>` is printed only when that flag is raised.
 */
export const TAILORING_FLAG_IDS = [
  'bleeding-risk',
  'infection-risk',
  'breathing-risk',
  'baclofen-withdrawal',
  'existing-pump',
  'cancer-pain',
  'non-cancer-pain',
  'mri-caution',
  'spasticity',
  'pump-drug-allergy',
  'combined-sedation',
  'antiplatelet-stent',
] as const;
export type TailoringFlagId = (typeof TAILORING_FLAG_IDS)[number];
export const tailoringFlagIdSchema = z.enum(TAILORING_FLAG_IDS);

/**
 * Pseudo-flags for the chart reads tailoring rules depend on, raised when that read was refused or failed
 * (`server/tailoring/rule-reads.ts`): each brings in the checklist item where the clinician confirms they reviewed
 * that part of the chart themselves. They change no handout block.
 */
export const UNCHECKED_AREA_FLAG_IDS = [
  'unchecked-patient',
  'unchecked-conditions',
  'unchecked-medication-requests',
  'unchecked-medication-statements',
  'unchecked-allergies',
  'unchecked-observations',
  'unchecked-procedures',
  'unchecked-devices',
] as const;
export type UncheckedAreaFlagId = (typeof UNCHECKED_AREA_FLAG_IDS)[number];
export const uncheckedAreaFlagIdSchema = z.enum(UNCHECKED_AREA_FLAG_IDS);

/**
 * What the handout is about for this patient: why the pump (indication) and which operation (procedure). Chosen
 * from the chart (`server/content/scenario.ts`) and changeable by the clinician before printing. A block, a title
 * or a checklist item with `appliesTo` is used only when the scenario matches every dimension it names.
 */
export const INDICATIONS = ['cancer-pain', 'non-cancer-pain', 'spasticity'] as const;
export type Indication = (typeof INDICATIONS)[number];
export const PROCEDURES = ['first-implant', 'replacement', 'trial-only'] as const;
export type ProcedurePlan = (typeof PROCEDURES)[number];
export const appliesToSchema = z
  .strictObject({
    indication: z.array(z.enum(INDICATIONS)).min(1).optional(),
    procedure: z.array(z.enum(PROCEDURES)).min(1).optional(),
  })
  .refine((a) => a.indication !== undefined || a.procedure !== undefined, { message: 'appliesTo names an indication or a procedure' });
export type AppliesTo = z.infer<typeof appliesToSchema>;

/** Notices printed outside the sections, chosen by the app rather than by a tailoring flag. */
export const NOTICE_IDS = ['interpreter-needed', 'chart-not-read'] as const;
export type NoticeId = (typeof NOTICE_IDS)[number];

const slug = z.string().regex(/^[a-z0-9]+(?:[-.][a-z0-9]+)*$/, 'lower-case id: letters, digits, "-" or "."');
const text = (max: number): z.ZodString => z.string().trim().min(1).max(max);
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'semantic version, e.g. 1.0.0');
/** The primary language subtag the pack is written in (BCP 47, e.g. "en", "es"). */
const languageTag = z.string().regex(/^[a-z]{2,3}$/, 'primary language subtag, lower case');

/** Review status: production refuses a draft; approval names the reviewer and the date (ARCHITECTURE.md §4). */
export const reviewSchema = z
  .strictObject({
    status: z.enum(['draft', 'approved']),
    reviewedBy: text(200).nullable(),
    reviewedAt: z.iso.date().nullable(),
    note: text(1000),
  })
  .refine((r) => r.status === 'draft' || (r.reviewedBy !== null && r.reviewedAt !== null), {
    message: 'an approved pack names its reviewer and review date',
  });

/** A source a statement rests on. `seed` is the source page; `reference` is one of its five numbered references. */
export const citationSchema = z
  .strictObject({
    id: slug,
    kind: z.enum(['seed', 'reference', 'guideline', 'drug-label', 'manufacturer', 'regulation', 'standard', 'study', 'toolkit']),
    text: text(600),
    url: z.url({ protocol: /^https$/ }).optional(),
    seedReference: z.number().int().min(1).max(5).optional(),
    note: text(400).optional(),
  })
  .refine((c) => (c.kind === 'reference') === (c.seedReference !== undefined), {
    message: 'a seed reference (and only one) carries its number on the seed page',
  });

const blockBase = {
  id: slug,
  /** A short lead-in printed in bold before the block ("Refills", "Call 911 if you:"). */
  label: text(120).optional(),
  /** How the renderer sets the block apart: a summary box, a caution, an emergency box. */
  style: z.enum(['normal', 'key-points', 'warning', 'emergency']).default('normal'),
  /** Citation ids this block rests on (every block has at least one). */
  sources: z.array(slug).min(1),
  /** Seed-fact ids (content/seed-facts.json) this block covers. */
  seedFacts: z.array(slug).default([]),
  /** Printed only when the tailoring engine raises this flag; null = always printed. */
  tailoring: tailoringFlagIdSchema.nullable().default(null),
  /** Printed only for these indications / procedures; absent = every scenario. */
  appliesTo: appliesToSchema.optional(),
  /** Shown to the clinician beside the block, never printed for the patient. */
  clinicianNote: text(600).optional(),
};

export const blockSchema = z.discriminatedUnion('type', [
  /**
   * `{evidence}` in a tailored paragraph is replaced by the patient's own chart findings that raised the flag
   * (escaped, bounded): "Your record shows you take apixaban 5 MG Oral Tablet".
   */
  z.strictObject({ ...blockBase, type: z.literal('paragraph'), text: text(700) }),
  z.strictObject({
    ...blockBase,
    type: z.literal('list'),
    ordered: z.boolean().default(false),
    items: z.array(text(300)).min(1),
  }),
  /** Blank lines the care team fills in by hand (phone numbers, the drug's name, the patient's goals). */
  z.strictObject({
    ...blockBase,
    type: z.literal('fill-in'),
    /** `chart`: filled from the chart when it knows the value (the pump's drug, its model), else a blank line. */
    fields: z.array(z.strictObject({ id: slug, label: text(120), chart: z.enum(['pump-drug', 'pump-model', 'clinic-phone', 'after-hours-phone']).optional() })).min(1),
  }),
  /** The diagram of where the pump and catheter sit (inline SVG drawn by the renderer); `text` is its caption. */
  z.strictObject({ ...blockBase, type: z.literal('diagram'), text: text(300), parts: z.strictObject({ pump: text(40), catheter: text(40), spine: text(40) }) }),
  /** The bibliography: the renderer prints each cited entry's `text` (and `url`). */
  z.strictObject({ ...blockBase, type: z.literal('citation-list'), citationIds: z.array(slug).min(1) }),
]);

export const sectionSchema = z.strictObject({
  id: slug,
  heading: text(120),
  /** `appendix`: printed after the patient pages (references, longer detail), starting on a new page. */
  part: z.enum(['main', 'appendix']).default('main'),
  blocks: z.array(blockSchema).min(1),
});

export const noticeSchema = z.strictObject({
  id: z.enum(NOTICE_IDS),
  text: text(700),
  sources: z.array(slug).min(1),
});

export const readabilityScoresSchema = z.strictObject({
  fkgl: z.number().optional(),
  smog: z.number().optional(),
  /** Spanish: Fernández-Huerta reading ease (0–100, higher is easier; 70–80 ≈ grade 6–7). */
  fernandezHuerta: z.number().optional(),
  /** Spanish: Szigriszt-Pazos perspicuity (INFLESZ scale: 55–65 "normal", ≥ 65 "fairly easy"). */
  szigrisztPazos: z.number().optional(),
  words: z.number().int().nonnegative(),
  sentences: z.number().int().nonnegative(),
});

/**
 * Scores stored with the pack, rewritten by `npm run content:score`. FKGL and SMOG are English formulas: for other
 * languages they are computed the same way but are only indicative.
 */
export const readabilitySchema = z.strictObject({
  formula: z.enum(['fkgl-smog', 'fernandez-huerta-inflesz']),
  overall: readabilityScoresSchema,
  sections: z.record(z.string(), readabilityScoresSchema),
  notices: z.record(z.string(), readabilityScoresSchema),
});

export const handoutPackSchema = z
  .strictObject({
    id: slug,
    version: semver,
    language: languageTag,
    title: text(160),
    /** Titles for particular scenarios (first match wins; `title` otherwise). */
    titles: z.array(z.strictObject({ appliesTo: appliesToSchema, text: text(160) })).default([]),
    review: reviewSchema,
    readability: readabilitySchema,
    citations: z.array(citationSchema).min(1),
    notices: z.array(noticeSchema),
    sections: z.array(sectionSchema).min(1),
  })
  .superRefine((pack, ctx) => {
    for (const problem of [...handoutIntegrityProblems(pack), ...approvalCitationProblems(pack)]) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

export const seedFactSchema = z.strictObject({
  id: z.string().regex(/^(benefit|risk|reference|advice)\.[a-z0-9-]+$/),
  kind: z.enum(['benefit', 'risk', 'reference', 'advice']),
  summary: text(300),
  /** For a reference: its number on the seed page. */
  seedReference: z.number().int().min(1).max(5).optional(),
});
export const seedFactsSchema = z
  .array(seedFactSchema)
  .min(1)
  .refine((facts) => facts.every((f) => f.id.startsWith(`${f.kind}.`)), { message: 'id prefix must match kind' })
  .refine((facts) => duplicates(facts.map((f) => f.id)).length === 0, { message: 'seed-fact ids are unique' });

export type Review = z.infer<typeof reviewSchema>;
export type Citation = z.infer<typeof citationSchema>;
export type Block = z.infer<typeof blockSchema>;
export type Section = z.infer<typeof sectionSchema>;
export type Notice = z.infer<typeof noticeSchema>;
export type ReadabilityScores = z.infer<typeof readabilityScoresSchema>;
export type Readability = z.infer<typeof readabilitySchema>;
export type HandoutPack = z.infer<typeof handoutPackSchema>;
export type SeedFact = z.infer<typeof seedFactSchema>;

/** Problems an id-level schema cannot see: duplicate ids and sources that cite nothing. Empty when sound. */
export function handoutIntegrityProblems(pack: {
  citations: readonly { id: string }[];
  notices: readonly { id: string; sources: readonly string[] }[];
  sections: readonly Section[];
}): string[] {
  const citationIds = new Set(pack.citations.map((c) => c.id));
  const problems = duplicates(pack.citations.map((c) => c.id)).map((id) => `duplicate citation id "${id}"`);
  problems.push(...duplicates(pack.sections.map((s) => s.id)).map((id) => `duplicate section id "${id}"`));
  const blocks = pack.sections.flatMap((s) => s.blocks);
  problems.push(...duplicates(blocks.map((b) => b.id)).map((id) => `duplicate block id "${id}"`));
  const cited = [
    ...blocks.flatMap((b) => [...b.sources, ...(b.type === 'citation-list' ? b.citationIds : [])]),
    ...pack.notices.flatMap((n) => n.sources),
  ];
  problems.push(...cited.filter((id) => !citationIds.has(id)).map((id) => `unknown citation id "${id}"`));
  return problems;
}

export function duplicates(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
}
