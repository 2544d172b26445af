/**
 * One behaviour scenario replayed through every dialect: a user made through one is the same
 * user, with the same password, in the others (Clerk /v1, Pterodactyl, Authress), and a user
 * deleted through one is gone from all of them at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

const PTERODACTYL = '/compat/pterodactyl/api/application';
const AUTHRESS = '/compat/authress/v1';

interface Person {
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  password: string;
}

/** Both ids of a user: Latchkey's own, and the numeric one Pterodactyl addresses users by. */
interface Ref {
  id: string;
  numericId: number;
}

/** What every dialect can say about a user, as far as it shows it. */
type View = Partial<Person & { id: string; name: string }>;

interface Dialect {
  name: string;
  create?(p: Person): Promise<Ref>;
  read(ref: Ref): Promise<View | null>;
  /** Whether the dialect's list, searched for the email, shows the user. */
  listed(ref: Ref, email: string): Promise<boolean>;
  remove(ref: Ref): Promise<void>;
}

describe.each(BACKENDS)('the same users through every dialect (%s)', (backend) => {
  let server: TestServer;
  let counter = 0;
  const json = async (res: Response) => (await res.json()) as any;

  function person(): Person {
    const n = counter++;
    return { email: `cross.${n}@example.com`, username: `cross_user_${n}`, firstName: `First${n}`, lastName: `Last${n}`, password: `a shared passphrase ${n}` };
  }

  async function refByEmail(email: string): Promise<Ref> {
    const [clerk] = await json(await server.api(`/v1/users?email_address=${encodeURIComponent(email)}`));
    const panel = await json(await server.api(`${PTERODACTYL}/users?filter[email]=${encodeURIComponent(email)}`));
    expect(panel.data).toHaveLength(1);
    return { id: clerk.id, numericId: panel.data[0].attributes.id };
  }

  const clerk: Dialect = {
    name: 'clerk',
    async create(p) {
      const res = await server.api('/v1/users', {
        method: 'POST',
        json: { email_address: [p.email], username: p.username, first_name: p.firstName, last_name: p.lastName, password: p.password },
      });
      expect(res.status).toBe(200);
      return refByEmail(p.email);
    },
    async read(ref) {
      const res = await server.api(`/v1/users/${ref.id}`);
      if (res.status === 404) return null;
      const u = await json(res);
      return { id: u.id, email: u.email_addresses[0]?.email_address, username: u.username, firstName: u.first_name, lastName: u.last_name };
    },
    async listed(_ref, email) {
      return (await json(await server.api(`/v1/users?query=${encodeURIComponent(email)}`))).length > 0;
    },
    async remove(ref) {
      expect((await server.api(`/v1/users/${ref.id}`, { method: 'DELETE' })).status).toBe(200);
    },
  };

  const pterodactyl: Dialect = {
    name: 'pterodactyl',
    async create(p) {
      const res = await server.api(`${PTERODACTYL}/users`, {
        method: 'POST',
        json: { email: p.email, username: p.username, first_name: p.firstName, last_name: p.lastName, password: p.password },
      });
      expect(res.status).toBe(201);
      return refByEmail(p.email);
    },
    async read(ref) {
      const res = await server.api(`${PTERODACTYL}/users/${ref.numericId}`);
      if (res.status === 404) return null;
      const a = (await json(res)).attributes;
      return { email: a.email, username: a.username, firstName: a.first_name, lastName: a.last_name };
    },
    async listed(_ref, email) {
      return (await json(await server.api(`${PTERODACTYL}/users?filter[email]=${encodeURIComponent(email)}`))).data.length > 0;
    },
    async remove(ref) {
      expect((await server.api(`${PTERODACTYL}/users/${ref.numericId}`, { method: 'DELETE' })).status).toBe(204);
    },
  };

  const authress: Dialect = {
    name: 'authress',
    async read(ref) {
      const res = await server.api(`${AUTHRESS}/users/${ref.id}`);
      if (res.status === 404) return null;
      const u = await json(res);
      return { id: u.userId, email: u.email, name: u.name };
    },
    async listed(_ref, email) {
      return (await json(await server.api(`${AUTHRESS}/users?filter=${encodeURIComponent(email)}`))).users.length > 0;
    },
    async remove(ref) {
      expect((await server.api(`${AUTHRESS}/users/${ref.id}`, { method: 'DELETE' })).status).toBe(202);
    },
  };

  const DIALECTS = [clerk, pterodactyl, authress];

  /** What `dialect` should show of `p` (each shows only some fields). */
  function expected(dialect: Dialect, p: Person, ref: Ref): View {
    if (dialect === clerk) return { id: ref.id, email: p.email, username: p.username, firstName: p.firstName, lastName: p.lastName };
    if (dialect === pterodactyl) return { email: p.email, username: p.username, firstName: p.firstName, lastName: p.lastName };
    return { id: ref.id, email: p.email, name: `${p.firstName} ${p.lastName}` };
  }

  async function verifyPassword(ref: Ref, password: string): Promise<number> {
    return (await server.api(`/v1/users/${ref.id}/verify_password`, { method: 'POST', json: { password } })).status;
  }

  beforeAll(async () => {
    server = await startServer(backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const creator of [clerk, pterodactyl]) {
    it(`a user created through ${creator.name} is the same user, with the same password, everywhere`, async () => {
      const p = person();
      const ref = await creator.create!(p);
      for (const reader of DIALECTS) {
        expect(await reader.read(ref), `${creator.name} -> ${reader.name}`).toEqual(expected(reader, p, ref));
        expect(await reader.listed(ref, p.email), `${reader.name} lists it`).toBe(true);
      }
      expect(await verifyPassword(ref, p.password)).toBe(200);
      expect(await verifyPassword(ref, `${p.password}!`)).toBe(422);
    });
  }

  it('a change through Pterodactyl (names, email, password) shows in /v1 and Authress', async () => {
    const p = person();
    const ref = await clerk.create!(p);
    const changed = { ...p, email: `changed.${p.email}`, firstName: 'Renamed', lastName: 'Person', password: 'a brand new passphrase' };
    const res = await server.api(`${PTERODACTYL}/users/${ref.numericId}`, {
      method: 'PATCH',
      json: { email: changed.email, username: p.username, first_name: changed.firstName, last_name: changed.lastName, password: changed.password },
    });
    expect(res.status).toBe(200);
    for (const reader of DIALECTS) expect(await reader.read(ref), reader.name).toEqual(expected(reader, changed, ref));
    expect(await verifyPassword(ref, changed.password)).toBe(200);
    expect(await verifyPassword(ref, p.password)).toBe(422);
  });

  for (const deleter of DIALECTS) {
    it(`a user deleted through ${deleter.name} disappears from every dialect at once`, async () => {
      const p = person();
      const ref = await pterodactyl.create!(p);
      await deleter.remove(ref);
      for (const reader of DIALECTS) {
        expect(await reader.read(ref), `${deleter.name} delete, ${reader.name} read`).toBeNull();
        expect(await reader.listed(ref, p.email), `${deleter.name} delete, ${reader.name} list`).toBe(false);
      }
      expect(await verifyPassword(ref, p.password)).toBe(404);
      // Deleting again, through any dialect, finds nothing.
      expect((await server.api(`/v1/users/${ref.id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await server.api(`${PTERODACTYL}/users/${ref.numericId}`, { method: 'DELETE' })).status).toBe(404);
      expect((await server.api(`${AUTHRESS}/users/${ref.id}`, { method: 'DELETE' })).status).toBe(404);
      // Once the deletion worker has run, the email address can be used again.
      await server.app.deletions.drain();
      const again = await server.api(`${PTERODACTYL}/users`, { method: 'POST', json: { email: p.email, username: p.username, first_name: 'Back', last_name: 'Again' } });
      expect(again.status).toBe(201);
    });
  }
});
