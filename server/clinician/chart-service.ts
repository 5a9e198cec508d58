import { createFhirHttp } from '../chart/fhir-http';
import type { FhirHttp } from '../chart/fhir-http';
import type { PatientContext } from '../chart/patient-context';
import { buildPatientContext } from '../chart/patient-context';
import { readChart } from '../chart/read-chart';
import type { AccessTokenDeps } from '../launch/access-token';
import { createAccessTokenProvider } from '../launch/access-token';
import type { LaunchSession } from '../store/launch-sessions';

/**
 * The chart as this launch sees it, read fresh in one parallel wave. The PatientContext is PHI: it lives for one
 * request and is never stored or logged.
 */
export function fhirHttpFor(tokens: AccessTokenDeps, launch: LaunchSession): FhirHttp {
  const provider = createAccessTokenProvider(tokens, launch);
  return createFhirHttp({
    baseUrl: launch.fhirBaseUrl,
    getAccessToken: () => provider.getAccessToken(),
    onUnauthorized: () => provider.refreshAfterUnauthorized(),
  });
}

export async function loadPatientContext(tokens: AccessTokenDeps, launch: LaunchSession): Promise<PatientContext> {
  const reads = await readChart(fhirHttpFor(tokens, launch), {
    patientId: launch.patientId,
    ...(launch.encounterId === undefined ? {} : { encounterId: launch.encounterId }),
    ...(launch.fhirUser === undefined ? {} : { fhirUser: launch.fhirUser }),
  });
  return buildPatientContext(reads, new Date());
}
