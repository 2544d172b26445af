import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { prepareImage } from '../images/images.ts';
import type { Store } from '../store.ts';
import type { User } from './types.ts';

/** A user's uploaded profile picture: replacing or removing one also deletes the old image. */
export function createProfileImageService(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;

  async function swap(userId: string, imageId: string | null, insert?: (tx: Store) => Promise<void>): Promise<User> {
    return store.transaction(async (tx) => {
      const user = await tx.users.lockForUpdate(userId);
      if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      await insert?.(tx);
      const now = clock.now();
      await tx.users.update(userId, { imageId, imageUrl: null, updatedAt: now });
      if (user.imageId && user.imageId !== imageId) await tx.images.delete(user.imageId);
      await tx.events.record({ type: 'user.updated', subjectId: userId, payload: { image: imageId !== null }, at: now });
      return (await tx.users.findById(userId)) as User;
    });
  }

  return {
    /** Stores an upload (checked by content) and makes it the user's picture. */
    async upload(userId: string, bytes: Uint8Array): Promise<User> {
      const image = await prepareImage(bytes, clock.now());
      return swap(userId, image.id, (tx) => tx.images.insert(image));
    },
    remove: (userId: string) => swap(userId, null),
    get: async (imageId: string) => {
      const image = await store.images.find(imageId);
      if (!image) throw new DomainError('image_not_found', `No image ${imageId}.`, { param: 'image_id' });
      return image;
    },
  };
}

export type ProfileImageService = ReturnType<typeof createProfileImageService>;
