import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import type { FhirSiteContext } from '../context';
import { injectFaults } from '../faults/inject';
import { fhirError } from '../errors';
import { requireAccessToken } from './bearer';
import { buildCapabilityStatement } from './capability';
import { handleCreate } from './create';
import { handleRead } from './read';
import { FHIR_JSON } from './respond';
import { handleSearch } from './search';
import { handleUpdate } from './update';
import { vendorWriteFor } from './vendor-write';
import { recordDocumentWrites } from './write-log';
import type { SandboxVendor } from '../types';

const SITE_NAMES: Readonly<Record<SandboxVendor, string>> = {
  generic: 'Sandbox EHR',
  epic: 'Sandbox EHR imitating Epic',
  oracle: 'Sandbox EHR imitating Oracle Health',
};

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const BODY_LIMIT = '10mb';

/** Unknown types and malformed ids are 404 before any scope logic runs. */
function checkTarget(ctx: FhirSiteContext): (req: Request, res: Response, next: NextFunction) => void {
  return (req, _res, next) => {
    const { type, id, vid } = req.params as Record<string, string | undefined>;
    if (type === undefined || !ctx.servedTypes.has(type)) {
      throw fhirError('not_found', 'This server does not serve that resource type.', 'not-supported');
    }
    if ((id !== undefined && !FHIR_ID.test(id)) || (vid !== undefined && !FHIR_ID.test(vid))) {
      throw fhirError('not_found', 'Not found.', 'not-found');
    }
    next();
  };
}

/**
 * One imitated EHR's FHIR R4 server, mounted at its base (`FHIR_SITE_PATHS`): public `metadata`, everything else behind a bearer token and the SMART scopes.
 * Only read (and vread), search-type, create and DocumentReference corrections (update to entered-in-error) are
 * served; other interactions answer 405. DocumentReference writes are logged and can be faulted (`../faults`).
 */
export function fhirRoutes(ctx: FhirSiteContext): Router {
  const router = express.Router();
  let capability: CapabilityStatement | undefined;
  router.get('/metadata', (_req, res) => {
    capability ??= buildCapabilityStatement({
      ...ctx,
      resourceTypes: ctx.servedTypes,
      name: SITE_NAMES[ctx.vendor],
      conditionalCreate: (type) => vendorWriteFor(ctx, type).conditionalCreate,
    });
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type(FHIR_JSON).send(JSON.stringify(capability));
  });
  router.use(recordDocumentWrites(ctx));
  router.use(requireAccessToken(ctx));
  const target = checkTarget(ctx);
  const json = express.json({ type: ['application/json', 'application/fhir+json'], limit: BODY_LIMIT });
  const readFault = injectFaults(ctx, 'read');
  const writeFault = injectFaults(ctx, 'write');
  router.get('/:type', target, readFault, (req, res) => handleSearch(ctx, req, res));
  router.post('/:type', target, json, writeFault, (req, res) => handleCreate(ctx, req, res));
  router.get('/:type/:id', target, readFault, (req, res) => handleRead(ctx, req, res));
  router.put('/:type/:id', target, json, writeFault, (req, res) => handleUpdate(ctx, req, res));
  router.get('/:type/:id/_history/:vid', target, readFault, (req, res) => handleRead(ctx, req, res));
  router.use(() => {
    throw fhirError('bad_request', 'This interaction is not supported by the sandbox FHIR server.', 'not-supported', 405);
  });
  return router;
}
