/** Pulls the HTTP status and Clerk error code out of what the official SDK throws. */
export async function clerkCode(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (e: any) {
    return { status: e.status, code: e.errors?.[0]?.code };
  }
  throw new Error('expected the SDK call to fail');
}
