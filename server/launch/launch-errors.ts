import { AppError } from '../errors';

/** Launch failures the clinician can only fix by launching again from the chart. */
export function relaunchNeeded(message: string, reason: string): AppError {
  return new AppError('unauthorized', message, {
    hint: 'Open the patient\'s chart in the EHR and launch ITDD Consent again. Nothing you entered earlier is lost.',
    details: { reason },
  });
}

/** The EHR (not the clinician) failed during the launch. */
export function launchFailed(message: string, reason: string, cause?: unknown): AppError {
  return new AppError('bad_gateway', message, {
    hint: 'Try launching again in a minute. If it keeps happening, tell your EHR analyst.',
    details: { reason },
    cause,
  });
}
