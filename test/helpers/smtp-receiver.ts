/**
 * A real SMTP server for tests (the `smtp-server` package on 127.0.0.1, a free port) that keeps
 * what it receives, decoded enough to assert on: envelope, subject, text and HTML parts.
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  /** Envelope sender and recipients, as the client gave them. */
  mailFrom: string;
  rcptTo: string[];
  headers: Record<string, string>;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

/** An SMTP reply that refuses a command, e.g. `{ code: 451, message: 'try later' }`. */
export interface Refusal {
  code: number;
  message: string;
}

export interface SmtpReceiver {
  port: number;
  /** `smtp://user:pass@127.0.0.1:<port>` */
  url: string;
  messages: ReceivedEmail[];
  /** RCPT TO and DATA commands seen, accepted or not. */
  counts: { rcpt: number; data: number };
  /** Decide per command; return a refusal to answer with an error instead of accepting. */
  onRcpt: (address: string, attempt: number) => Refusal | undefined;
  onData: (attempt: number) => Refusal | undefined;
  /** Resolves once `n` messages were accepted; rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

function unfold(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function decode(body: string, encoding = '7bit'): string {
  const e = encoding.toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8').replace(/\r\n/g, '\n');
  if (e === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/%/g, '%25').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => `%${h}`);
    return decodeURIComponent(bytes).replace(/\r\n/g, '\n');
  }
  return body.replace(/\r\n/g, '\n');
}

/** RFC 2047 encoded words in a header, such as a non-ASCII subject. */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=\s*/gi, (_m, _cs, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decode(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}

function parts(raw: string, out: { text: string; html: string }): Record<string, string> {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = unfold(split < 0 ? raw : raw.slice(0, split));
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      parts(chunk.replace(/^\r?\n/, ''), out);
    }
  } else if (/^text\/html/i.test(type)) out.html += decode(body, headers['content-transfer-encoding']);
  else if (/^text\/plain/i.test(type)) out.text += decode(body, headers['content-transfer-encoding']);
  return headers;
}

/** Starts the receiver. With `auth`, it requires those credentials (over plain text, as tests do). */
export async function startSmtpReceiver(auth?: { user: string; pass: string }): Promise<SmtpReceiver> {
  const waiters: Array<() => void> = [];
  const receiver = {
    messages: [] as ReceivedEmail[],
    counts: { rcpt: 0, data: 0 },
    onRcpt: (() => undefined) as SmtpReceiver['onRcpt'],
    onData: (() => undefined) as SmtpReceiver['onData'],
  };
  const refuse = (r: Refusal) => Object.assign(new Error(r.message), { responseCode: r.code });
  const server = new SMTPServer({
    authOptional: !auth,
    allowInsecureAuth: true,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(a, _session, cb) {
      if (auth && a.username === auth.user && a.password === auth.pass) return cb(null, { user: a.username });
      return cb(refuse({ code: 535, message: 'Authentication failed' }));
    },
    onRcptTo(address, _session, cb) {
      receiver.counts.rcpt++;
      const r = receiver.onRcpt(address.address, receiver.counts.rcpt);
      cb(r ? refuse(r) : undefined);
    },
    onData(stream, session, cb) {
      receiver.counts.data++;
      const attempt = receiver.counts.data;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const r = receiver.onData(attempt);
        if (r) return cb(refuse(r));
        const raw = Buffer.concat(chunks).toString('utf8');
        const content = { text: '', html: '' };
        const headers = parts(raw, content);
        receiver.messages.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((a) => a.address),
          headers,
          subject: decodeWords(headers.subject ?? ''),
          text: content.text,
          html: content.html,
          raw,
        });
        for (const w of waiters.splice(0)) w();
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return Object.assign(receiver, {
    port,
    url: auth ? `smtp://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@127.0.0.1:${port}` : `smtp://127.0.0.1:${port}`,
    async waitFor(n: number, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (receiver.messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} emails, received ${receiver.messages.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
