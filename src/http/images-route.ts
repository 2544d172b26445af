import type { FastifyInstance } from 'fastify';
import type { ProfileImageService } from '../core/users/profile-images.ts';

/**
 * Public, cacheable image URLs. Ids are never reused, so a response can be cached for a year;
 * nosniff and a sandboxing CSP keep a browser from treating bytes as anything but an image.
 */
export function registerImageRoute(app: FastifyInstance, images: ProfileImageService) {
  app.get<{ Params: { id: string } }>('/images/:id', { schema: { hide: true } }, async (req, reply) => {
    const id = req.params.id;
    const image = /^img_[A-Za-z0-9]{1,64}$/.test(id) ? await images.get(id).catch(() => null) : null;
    if (!image) return reply.code(404).type('application/json').send({ errors: [{ message: 'not found', long_message: 'No such image.', code: 'resource_not_found' }] });
    const etag = `"${image.sha256}"`;
    reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox");
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(image.contentType).send(Buffer.from(image.bytes));
  });
}
