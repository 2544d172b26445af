/** A local HTTP server speaking the part of Twilio's Messages API Latchkey uses. */
import { createServer, type IncomingMessage } from 'node:http';

export interface TwilioRequest {
  method: string;
  path: string;
  authorization: string;
  contentType: string;
  form: Record<string, string>;
}

export interface FakeTwilio {
  url: string;
  requests: TwilioRequest[];
  /** Answers each request; by default 201 with a fresh `SM...` sid. */
  respond: (req: TwilioRequest, n: number) => { status: number; body: unknown };
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const fake = {
    requests: [] as TwilioRequest[],
    respond: ((_req: TwilioRequest, n: number) => ({ status: 201, body: { sid: `SM${String(n).padStart(32, '0')}`, status: 'queued' } })) as FakeTwilio['respond'],
  };
  const server = createServer(async (req, res) => {
    const raw = await read(req);
    const r: TwilioRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization ?? '',
      contentType: req.headers['content-type'] ?? '',
      form: Object.fromEntries(new URLSearchParams(raw)),
    };
    fake.requests.push(r);
    const { status, body } = fake.respond(r, fake.requests.length);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
