import { createHash } from 'node:crypto';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { StoredImage } from './image-store.ts';

/** Raster formats browsers render safely. SVG is refused: it can carry script. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export const IMAGE_MAX_BYTES = 1024 * 1024;

/**
 * Checks an upload by its content (never its name or declared type) and prepares it for storage.
 * @example await prepareImage(pngBytes, new Date()) // { id: 'img_...', contentType: 'image/png', ... }
 */
export async function prepareImage(bytes: Uint8Array, now: Date): Promise<StoredImage> {
  if (bytes.byteLength === 0) throw new DomainError('image_invalid', 'The uploaded file is empty.', { param: 'file' });
  if (bytes.byteLength > IMAGE_MAX_BYTES) {
    throw new DomainError('image_too_large', `Images must be at most ${IMAGE_MAX_BYTES} bytes.`, { param: 'file' });
  }
  // Loaded on the first upload; most instances rarely see one.
  const { fileTypeFromBuffer } = await import('file-type');
  const detected = await fileTypeFromBuffer(bytes);
  if (!detected || !(IMAGE_TYPES as readonly string[]).includes(detected.mime)) {
    throw new DomainError('image_invalid', 'Images must be PNG, JPEG, GIF or WebP.', { param: 'file' });
  }
  return {
    id: newId('img'),
    contentType: detected.mime,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    createdAt: now,
  };
}
