import type { FastifyRequest } from 'fastify';
import { DomainError, isDomainError } from '../core/errors.ts';

/**
 * Reads the one file of a multipart upload from the field `field`. A body that is not valid
 * multipart (cut short, wrong boundary) is the client's error, so it becomes a 4xx here
 * instead of a parser exception; the size limit keeps its own 413.
 */
export async function readUploadedFile(req: FastifyRequest, field = 'file'): Promise<Buffer> {
  if (!req.isMultipart()) throw new DomainError('invalid_param', `Send the file as multipart/form-data in a field named ${field}.`, { param: field });
  try {
    // Parts come in the order sent; skip other fields and files until the one we want.
    for await (const part of req.parts()) {
      if (part.type === 'file' && part.fieldname === field) return await part.toBuffer();
      if (part.type === 'file') await part.toBuffer();
    }
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (isDomainError(e) || status === 413) throw e;
    throw new DomainError('invalid_param', 'The multipart body could not be read.', { param: field });
  }
  throw new DomainError('param_missing', `A ${field} field is required.`, { param: field });
}
