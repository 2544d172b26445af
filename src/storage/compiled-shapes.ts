import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/**
 * Compiled SQL per query shape. Building and compiling a list query with Kysely costs about as
 * much CPU as PostgreSQL spends running it; the text only depends on the shape (which filters,
 * how many values), so it is built once per shape and then run with new parameters.
 *
 * The caller supplies the parameters it expects the query to bind. On the first use of a shape
 * they are checked against what Kysely actually produced; a shape whose parameters differ is
 * never cached (it is built every time, as before), so a mistake here costs speed, never results.
 */
export function compiledShapes(max = 512) {
  const shapes = new Map<string, CompiledQuery | null>();
  return {
    async execute<R>(db: Kysely<any>, key: string, parameters: readonly unknown[], build: () => Compilable<R>): Promise<QueryResult<R>> {
      const cached = shapes.get(key);
      if (cached) return db.executeQuery<R>({ ...cached, parameters } as CompiledQuery<R>);
      const compiled = build().compile();
      if (cached === undefined) {
        if (shapes.size >= max) shapes.clear();
        shapes.set(key, sameParameters(compiled.parameters, parameters) ? compiled : null);
      }
      return db.executeQuery<R>(compiled);
    },
    /** Whether a shape is served from the cache (tests hold the hot shapes to it). */
    isCached: (key: string) => Boolean(shapes.get(key)),
  };
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    if (x instanceof Date || y instanceof Date) return x instanceof Date && y instanceof Date && x.getTime() === y.getTime();
    return x === y;
  });
}
