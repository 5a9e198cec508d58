/**
 * Test helper kept at its old path: the logic moved to `server/chart/chart-reads-from-bundle.ts` so that the
 * `render` CLI can build a PatientContext from a bundle too.
 */
export { chartReadsFromBundle, launchContextFromBundle } from '../../server/chart/chart-reads-from-bundle';
export type { BundleReadsOptions } from '../../server/chart/chart-reads-from-bundle';
