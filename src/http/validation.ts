import type { FastifyError } from 'fastify';

/** A request that failed schema validation, in terms every dialect can render. */
export interface ValidationProblem {
  kind: 'unknown' | 'missing' | 'invalid';
  param: string;
  message: string;
  longMessage: string;
}

/** Reads Fastify's (Ajv's) validation error into a dialect-neutral problem. */
export function describeValidation(error: FastifyError): ValidationProblem | null {
  const first = error.validation?.[0];
  if (!first) return null;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') {
    const param = [path, String(params.additionalProperty)].filter(Boolean).join('.');
    return { kind: 'unknown', param, message: 'is unknown', longMessage: `${param} is not a valid parameter for this request.` };
  }
  if (first.keyword === 'required') {
    const param = [path, String(params.missingProperty)].filter(Boolean).join('.');
    return { kind: 'missing', param, message: 'missing data', longMessage: `${param} must be included.` };
  }
  const param = path.split('.')[0] || error.validationContext || 'body';
  return { kind: 'invalid', param, message: 'is invalid', longMessage: `${path || param} ${first.message ?? 'is invalid'}.` };
}

/** Statuses for the framework's own 4xx errors (malformed JSON, body too large, ...). */
export function frameworkStatus(error: FastifyError): { status: number; code: string; message: string } | null {
  const status = error.statusCode ?? 0;
  if (status < 400 || status >= 500) return null;
  if (error.code === 'FST_ERR_BAD_URL') return { status: 400, code: 'malformed_request', message: 'The request path is not valid percent-encoded UTF-8.' };
  if (status === 413) return { status, code: 'request_body_too_large', message: 'The request body is larger than 1 MiB.' };
  if (status === 415) return { status, code: 'unsupported_media_type', message: 'Send the request body as application/json.' };
  if (status === 400) return { status, code: 'malformed_request', message: 'The request body is not valid JSON.' };
  return { status, code: 'bad_request', message: error.message };
}
