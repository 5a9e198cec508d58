import { createFhirHttp } from '../chart/fhir-http';
import type { FhirHttp } from '../chart/fhir-http';
import type { PatientContext } from '../chart/patient-context';
import { buildPatientContext } from '../chart/patient-context';
import { readChart } from '../chart/read-chart';
import { AppError } from '../errors';
import type { AccessTokenDeps, AccessTokenProvider } from '../launch/access-token';
import { createAccessTokenProvider } from '../launch/access-token';
import type { LaunchSession } from '../store/launch-sessions';

/** The launch's FHIR client: its token, refreshed once on a 401, only under the launch's FHIR base. */
export function fhirHttpFor(tokens: AccessTokenDeps, launch: LaunchSession, provider: AccessTokenProvider = createAccessTokenProvider(tokens, launch)): FhirHttp {
  return createFhirHttp({
    baseUrl: launch.fhirBaseUrl,
    getAccessToken: () => provider.getAccessToken(),
    onUnauthorized: () => provider.refreshAfterUnauthorized(),
    onRefusedAfterRefresh: () => provider.refusedAfterRefresh(),
    fetchImpl: tokens.ehrFetch?.(launch.tenantId) ?? fetch,
  });
}

/**
 * The EHR refused the launch's token and its refresh: every read of this wave failed for that one reason, so the
 * clinician is told once that the session ended (not ten "not authorized" notes), and the snapshot they work from
 * is kept. A relaunch from the chart resumes the same draft.
 */
export const sessionEnded = (): AppError =>
  new AppError('unauthorized', 'Your session with the EHR has ended, so the chart could not be read.', {
    hint: 'Launch the app again from the patient\'s chart: everything entered so far is kept and opens again.',
    details: { reason: 'ehr_session_ended' },
  });

/** One parallel wave of reads (medications resolved in the same wave) mapped to the PatientContext. */
export async function readPatientContext(tokens: AccessTokenDeps, launch: LaunchSession, now: Date): Promise<PatientContext> {
  const provider = createAccessTokenProvider(tokens, launch);
  const reads = await readChart(fhirHttpFor(tokens, launch, provider), {
    patientId: launch.patientId,
    ...(launch.encounterId === undefined ? {} : { encounterId: launch.encounterId }),
    ...(launch.fhirUser === undefined ? {} : { fhirUser: launch.fhirUser }),
    fhirBase: launch.fhirBaseUrl,
  });
  if (provider.sessionEnded()) {
    throw sessionEnded();
  }
  return buildPatientContext(reads, now);
}
