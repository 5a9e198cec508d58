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

/** The EHR did not answer before the app's deadline (a 504, so the clinician reads "too slow", not "broken"). */
export function launchTimedOut(message: string, reason: string, cause?: unknown): AppError {
  return new AppError('gateway_timeout', message, {
    hint: 'The EHR may be busy. Try launching again in a minute. If it keeps happening, tell your EHR analyst.',
    details: { reason },
    cause,
  });
}
