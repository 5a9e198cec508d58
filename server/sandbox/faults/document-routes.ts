import express from 'express';
import type { Router } from 'express';
import type { DocumentReference } from '@medplum/fhirtypes';
import { badRequest, forbidden, notFound } from '../../errors';
import type { SandboxContext } from '../context';
import { isCrossSitePost } from '../cookies';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Test hook (sandbox only): `POST /simulator/documents/:id/alter` changes a filed note's text in the chart, the way
 * someone editing the note in the EHR would — the attachment bytes change, the document id and everything else
 * stay. The compliance dashboard's integrity check must then say "changed". Answers 200 with the new text's length.
 */
export function documentRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  router.post('/simulator/documents/:id/alter', async (req, res) => {
    if (isCrossSitePost(req.get('sec-fetch-site'))) {
      throw forbidden('Documents can only be altered from the sandbox EHR or a test.');
    }
    const id = req.params.id;
    if (!FHIR_ID.test(id)) {
      throw badRequest('Not a document id.');
    }
    let document: DocumentReference;
    try {
      document = await ctx.repo.readResource<DocumentReference>('DocumentReference', id);
    } catch {
      throw notFound('There is no such document in the sandbox chart.');
    }
    const content = document.content.map((c, index) => {
      if (index !== 0 || typeof c.attachment.data !== 'string') {
        return c;
      }
      const text = `${Buffer.from(c.attachment.data, 'base64').toString('utf8')}\n(Edited in the EHR after filing.)\n`;
      return { ...c, attachment: { ...c.attachment, data: Buffer.from(text, 'utf8').toString('base64') } };
    });
    const updated = await ctx.repo.updateResource<DocumentReference>({ ...document, content });
    res.status(200).setHeader('Cache-Control', 'no-store').json({ id: updated.id, altered: true });
  });
  return router;
}
