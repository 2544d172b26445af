import type { Kysely } from 'kysely';
import type { ImageStore } from '../core/images/image-store.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

export function createImageStore(db: Kysely<Database>): ImageStore {
  return {
    insert: (i) =>
      translated(async () => {
        await db.insertInto('images').values({ id: i.id, content_type: i.contentType, bytes: Buffer.from(i.bytes), sha256: i.sha256, created_at: i.createdAt }).execute();
      }),
    find: (id) =>
      translated(async () => {
        const r = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? { id: r.id, contentType: r.content_type, bytes: new Uint8Array(r.bytes), sha256: r.sha256, createdAt: r.created_at } : null;
      }),
    exists: (id) => translated(async () => !!(await db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst())),
    delete: (id) =>
      translated(async () => {
        await db.deleteFrom('images').where('id', '=', id).execute();
      }),
  };
}
