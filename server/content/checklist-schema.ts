/**
 * The shape of the consent-discussion checklist (`content/checklist/*.json`): what the clinician confirms, chooses
 * or writes down while talking the patient through the handout. It is clinician-facing; the consent module renders
 * it and validates the answers, and the discussion record files them.
 *
 * The items follow the CMS interpretive guidance on informed consent (QSO-24-10-Hospitals, 42 CFR 482.24(c)(4)(v),
 * 482.51(b)(2)), The Joint Commission RI.01.03.01 and language access under Section 1557 — see
 * research/peers-and-clinical-facts.md §2 and §4.2. It records the discussion; it is not the legal consent form.
 */
import { z } from 'zod';
import { approvalCitationProblems } from './citation-identifiers';
import { appliesToSchema, citationSchema, duplicates, reviewSchema, tailoringFlagIdSchema, uncheckedAreaFlagIdSchema } from './content-schema';

const slug = z.string().regex(/^[a-z0-9]+(?:[-.][a-z0-9]+)*$/, 'lower-case id: letters, digits, "-" or "."');
const text = (max: number): z.ZodString => z.string().trim().min(1).max(max);

export const checklistOptionSchema = z.strictObject({ code: slug, display: text(200) });

export const checklistItemSchema = z.strictObject({
  id: slug,
  group: slug,
  text: text(600),
  /** A required item must be answered before the clinician can attest and file. */
  required: z.boolean(),
  kind: z.enum(['confirm', 'choice', 'text', 'datetime']),
  /** The coded answers of a `choice` item. */
  options: z.array(checklistOptionSchema).min(2).optional(),
  /** Shown only when the tailoring engine raises this flag, or when this part of the chart could not be read. */
  appliesWhen: z.union([tailoringFlagIdSchema, uncheckedAreaFlagIdSchema]).optional(),
  /** Shown only for these indications / procedures (the handout's scenario, `server/content/scenario.ts`). */
  appliesTo: appliesToSchema.optional(),
  /** Becomes required when another (choice) item has one of these answers, e.g. interpreter details. */
  requiredWhen: z.strictObject({ item: slug, anyOf: z.array(slug).min(1) }).optional(),
  /**
   * Shown (but not made required) when another (choice) item has one of these answers: a follow-up that only a
   * server rule may require, e.g. why no interpreter was needed (`server/consent/interpreter-rule.ts`).
   */
  shownWhen: z.strictObject({ item: slug, anyOf: z.array(slug).min(1) }).optional(),
  /** Who supplies the answer: the clinician, or the app from the launch context (handout version, time). */
  filledBy: z.enum(['clinician', 'app']).default('clinician'),
  /**
   * A confirm item the clinician must tick on its own even in a section with "discussed all of the above" (e.g. a
   * confirmation that they reviewed something themselves, not that it was discussed).
   */
  confirmAlone: z.boolean().optional(),
  /** Seed-fact ids (content/seed-facts.json) this item confirms were discussed. */
  seedFacts: z.array(slug).default([]),
  sources: z.array(slug).min(1),
});

export const checklistGroupSchema = z.strictObject({
  id: slug,
  label: text(120),
  /**
   * The section offers "discussed all of the above": one action ticks its clinician-answered confirm items (those
   * that record a topic discussed), which the clinician can then untick one by one. Never for attestation items.
   */
  discussedAll: z.boolean().optional(),
});

export const checklistSchema = z
  .strictObject({
    id: slug,
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    language: z.string().regex(/^[a-z]{2,3}$/),
    title: text(160),
    /** Printed at the top of the checklist and in the filed note. */
    statement: text(600),
    review: reviewSchema,
    citations: z.array(citationSchema).min(1),
    groups: z.array(checklistGroupSchema).min(1),
    items: z.array(checklistItemSchema).min(1),
  })
  .superRefine((checklist, ctx) => {
    for (const problem of [...checklistIntegrityProblems(checklist), ...approvalCitationProblems(checklist)]) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

export type ChecklistOption = z.infer<typeof checklistOptionSchema>;
export type ChecklistItem = z.infer<typeof checklistItemSchema>;
export type Checklist = z.infer<typeof checklistSchema>;

function itemProblems(item: ChecklistItem, byId: ReadonlyMap<string, ChecklistItem>): string[] {
  const problems: string[] = [];
  if ((item.kind === 'choice') !== (item.options !== undefined)) {
    problems.push(`item "${item.id}": options belong to choice items, and every choice item has them`);
  }
  for (const [field, when] of [['requiredWhen', item.requiredWhen], ['shownWhen', item.shownWhen]] as const) {
    if (when !== undefined) {
      const trigger = byId.get(when.item);
      const codes = new Set(trigger?.options?.map((o) => o.code));
      if (!trigger || when.anyOf.some((code) => !codes.has(code))) {
        problems.push(`item "${item.id}": ${field} must name a choice item and its codes`);
      }
    }
  }
  if (item.requiredWhen !== undefined && item.shownWhen !== undefined) {
    problems.push(`item "${item.id}": requiredWhen already decides when it is shown; give it no shownWhen`);
  }
  return problems;
}

/** Problems the per-field schema cannot see: duplicate ids, unknown groups, citations or triggers. */
export function checklistIntegrityProblems(checklist: {
  citations: readonly { id: string }[];
  groups: readonly { id: string }[];
  items: readonly ChecklistItem[];
}): string[] {
  const citationIds = new Set(checklist.citations.map((c) => c.id));
  const groupIds = new Set(checklist.groups.map((g) => g.id));
  const byId = new Map(checklist.items.map((item) => [item.id, item]));
  const problems = [
    ...duplicates(checklist.citations.map((c) => c.id)).map((id) => `duplicate citation id "${id}"`),
    ...duplicates(checklist.groups.map((g) => g.id)).map((id) => `duplicate group id "${id}"`),
    ...duplicates(checklist.items.map((i) => i.id)).map((id) => `duplicate item id "${id}"`),
  ];
  for (const item of checklist.items) {
    if (!groupIds.has(item.group)) {
      problems.push(`item "${item.id}": unknown group "${item.group}"`);
    }
    const unknown = item.sources.filter((id) => !citationIds.has(id));
    problems.push(...unknown.map((id) => `item "${item.id}": unknown citation id "${id}"`));
    problems.push(...itemProblems(item, byId));
  }
  return problems;
}
