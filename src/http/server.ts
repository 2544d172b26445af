import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { LOG_REDACT } from '../logging.ts';

export const BODY_LIMIT = 1024 * 1024;

export interface HttpOptions {
  logLevel: string;
  /** Dialects to mount, each at its own prefix. */
  dialects: Array<{
    prefix: string;
    plugin: FastifyPluginAsync<any>;
    docs?: boolean;
    /** Answers errors the router raises before any route runs (a malformed path escape, say). */
    errorHandler?: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown;
  }>;
  version: string;
  trustProxy?: boolean;
}

/** Builds the Fastify server: JSON parsing, validation rules, OpenAPI and the dialects. */
export async function createHttpServer(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel, redact: LOG_REDACT },
    bodyLimit: BODY_LIMIT,
    // close() must not wait out keep-alive on connections whose request was refused mid-body.
    forceCloseConnections: true,
    trustProxy: options.trustProxy ?? false,
    // Long path segments reach route validation (and its 4xx in the dialect's shape) instead of
    // the router's bare 414.
    routerOptions: { maxParamLength: 1024 },
    // The router's own errors happen before any dialect's error handler could see them; send
    // them to the handler of the dialect whose prefix the path has, so they keep its envelope.
    frameworkErrors: (error, req, reply) => routerError(options.dialects, error, req, reply as FastifyReply),
    // Per-request lines only when debugging: at info level they cost throughput and say little.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' && options.logLevel !== 'trace' }),
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers() as never } },
    ajv: {
      // Unknown fields are errors, not silently dropped; query values coerce from strings.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // An empty JSON body means "no body": SDKs send POST /ban and friends that way.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || body === undefined) return done(null, undefined);
    defaultJson(req, body as string, done);
  });

  // Optional bodies validate as an empty object, so "no body" and "{}" behave the same.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {};
  });

  // Dialect contracts want exactly `application/json`, without a charset parameter.
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', 'application/json');
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Latchkey admin API', version: options.version, description: 'Clerk Backend API v1 dialect and compatibility dialects.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  for (const d of options.dialects) await app.register(d.plugin, { prefix: d.prefix });

  // The Clerk-dialect document: only what /v1 implements.
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => {
    const doc = app.swagger() as { paths: Record<string, unknown> };
    const paths = Object.fromEntries(Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/')));
    return { ...doc, paths };
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  return app;
}

/**
 * Answers an error the router raised before any route ran, through the error handler of the
 * dialect the path belongs to. Such replies skip the server's hooks, so JSON goes out as bytes:
 * the content type then stays exactly `application/json`, as every dialect's contract wants.
 */
function routerError(dialects: HttpOptions['dialects'], error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const send = reply.send.bind(reply);
  reply.send = ((payload?: unknown) =>
    payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload) ? send(Buffer.from(JSON.stringify(payload))) : send(payload)) as FastifyReply['send'];
  reply.header('content-type', 'application/json');
  const dialect = dialects.find((d) => req.url === d.prefix || req.url.startsWith(`${d.prefix}/`) || req.url.startsWith(`${d.prefix}?`));
  if (dialect?.errorHandler) return dialect.errorHandler(error, req, reply);
  const status = error.statusCode ?? 400;
  return reply.code(status).send({ error: 'Bad Request', code: error.code, message: error.message, statusCode: status });
}

type Serialize = (data: unknown) => string;

/**
 * Response serializers, compiled once per distinct schema within a plugin context. Fastify
 * compiles one per route and status, yet most of the API answers with a few shapes (a User, the
 * error envelope of each 4xx); compiling each again doubled the heap the server grows at boot.
 */
function sharedSerializers() {
  const factory = SerializerSelector();
  return (externalSchemas: unknown, options: unknown) => {
    const compile = factory(externalSchemas as never, options as never) as unknown as (route: { schema: unknown }) => Serialize;
    const cache = new Map<string, Serialize>();
    return (route: { schema: unknown }) => {
      const key = JSON.stringify(route.schema);
      let serialize = cache.get(key);
      if (!serialize) cache.set(key, (serialize = compile(route)));
      return serialize;
    };
  };
}
