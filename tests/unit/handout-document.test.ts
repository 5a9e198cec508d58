import { loadHandoutPack } from '../../server/content/content-packs';
import type { HandoutPack } from '../../server/content/content-schema';
import { assertPrintable } from '../../server/handout/handout-document';

describe('content governance at print time', () => {
  const draft = loadHandoutPack('en');
  const approved: HandoutPack = { ...draft, review: { status: 'approved', reviewedBy: 'A. Reviewer, MD', reviewedAt: '2026-11-01', note: 'ok' } };

  test('production refuses a pack no reviewer approved, naming pack and version', () => {
    expect(draft.review.status).toBe('draft');
    expect(() => assertPrintable(draft, true)).toThrow(/not been approved for patients/);
    try {
      assertPrintable(draft, true);
    } catch (error) {
      expect(error).toMatchObject({ status: 422, details: { reason: 'pack_not_approved', pack: draft.id, version: draft.version } });
    }
  });

  test('production prints an approved pack; the sandbox prints a draft (marked DRAFT by the renderer)', () => {
    expect(() => assertPrintable(approved, true)).not.toThrow();
    expect(() => assertPrintable(draft, false)).not.toThrow();
  });
});
