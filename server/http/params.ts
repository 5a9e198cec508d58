import type { Request } from 'express';
import { badRequest } from '../errors';

/**
 * One query parameter, exactly once, bounded. Duplicates (`iss=a&iss=b`) are refused outright: two parsers could
 * disagree on which one counts (ASVS 5.1.1 parameter pollution).
 */
export function singleParam(req: Request, name: string, maxLength = 2048): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw badRequest(`The request named "${name}" more than once.`, { details: { reason: 'duplicate_param', param: name } });
  }
  if (value.length > maxLength) {
    throw badRequest(`The value of "${name}" is too long.`, { details: { reason: 'param_too_long', param: name } });
  }
  return value === '' ? undefined : value;
}
