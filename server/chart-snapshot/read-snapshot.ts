import { createFhirHttp } from '../chart/fhir-http';
import type { FhirHttp } from '../chart/fhir-http';
import type { PatientContext } from '../chart/patient-context';
import { buildPatientContext } from '../chart/patient-context';
import { readChart } from '../chart/read-chart';
import type { AccessTokenDeps } from '../launch/access-token';
import { createAccessTokenProvider } from '../launch/access-token';
import type { LaunchSession } from '../store/launch-sessions';

/** The launch's FHIR client: its token, refreshed once on a 401, only under the launch's FHIR base. */
export function fhirHttpFor(tokens: AccessTokenDeps, launch: LaunchSession): FhirHttp {
  const provider = createAccessTokenProvider(tokens, launch);
  return createFhirHttp({
    baseUrl: launch.fhirBaseUrl,
    getAccessToken: () => provider.getAccessToken(),
    onUnauthorized: () => provider.refreshAfterUnauthorized(),
  });
}

/** One parallel wave of reads (medications resolved in the same wave) mapped to the PatientContext. */
export async function readPatientContext(tokens: AccessTokenDeps, launch: LaunchSession, now: Date): Promise<PatientContext> {
  const reads = await readChart(fhirHttpFor(tokens, launch), {
    patientId: launch.patientId,
    ...(launch.encounterId === undefined ? {} : { encounterId: launch.encounterId }),
    ...(launch.fhirUser === undefined ? {} : { fhirUser: launch.fhirUser }),
  });
  return buildPatientContext(reads, now);
}
