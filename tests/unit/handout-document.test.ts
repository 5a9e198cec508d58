import type { Approval } from '../../server/content/content-approvals';
import { printableHandout } from '../../server/content/content-approvals';
import { contentFileOfPack, loadHandoutPack } from '../../server/content/content-packs';
import { printOptionsFor } from '../../server/handout/handout-document';

describe('content governance at print time', () => {
  const pack = loadHandoutPack('en');
  const ref = { id: pack.id, version: pack.version, language: pack.language, contentHash: contentFileOfPack(pack).sha256 };
  const approval: Approval = { id: '1', contentHash: ref.contentHash, reviewer: 'A. Reviewer, MD', approvedBy: 'cli', approvedAt: '2026-11-01T09:00:00.000Z' };

  test('production refuses a pack no reviewer approved, naming pack and version', () => {
    expect(() => printableHandout(ref, {}, { requireApproved: true })).toThrow(/not been approved for patients/);
    try {
      printableHandout(ref, {}, { requireApproved: true });
    } catch (error) {
      expect(error).toMatchObject({ status: 422, details: { reason: 'pack_not_approved', pack: pack.id, version: pack.version } });
    }
  });

  test('a pack whose file changed after approval is refused as changed, and an approval of other content does not count', () => {
    expect(() => printableHandout(ref, { changedSinceApproval: true }, { requireApproved: true })).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'pack_changed_since_approval' }) }) as Error);
    const ofOtherContent = { ...approval, contentHash: 'f'.repeat(64) };
    expect(() => printableHandout(ref, { approval: ofOtherContent }, { requireApproved: true })).toThrow(/not been approved/);
  });

  test('production prints an approved pack, its review from the store; the sandbox prints a draft without an approval', () => {
    const approved = printableHandout(ref, { approval }, { requireApproved: true });
    expect(approved.approval).toEqual(approval);
    expect(approved.pack.review).toMatchObject({ status: 'approved', reviewedBy: 'A. Reviewer, MD', reviewedAt: '2026-11-01' });
    const draft = printableHandout(ref, {}, { requireApproved: false });
    expect(draft.approval).toBeUndefined();
    expect(draft.pack.review.status).toBe('draft');
  });

  test('an attested discussion counts only approvals made by its attestation, so its reprint never changes', () => {
    const attestedBefore = printOptionsFor({ status: 'attested', attestedAt: new Date('2026-10-31T12:00:00Z') }, false);
    expect(printableHandout(ref, { approval }, attestedBefore).approval).toBeUndefined();
    const attestedAfter = printOptionsFor({ status: 'attested', attestedAt: new Date('2026-11-02T12:00:00Z') }, true);
    expect(printableHandout(ref, { approval }, attestedAfter).approval).toEqual(approval);
  });
});
