import { DeliveryError, type SmsProvider } from './transport.ts';

export interface TwilioOptions {
  /** https://api.twilio.com, or a compatible service. */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  /** Per request; the worker's lease on a message is far longer. */
  timeoutMs?: number;
}

/** A messaging service SID goes in its own field; Twilio then picks the sending number. */
const MESSAGING_SERVICE = /^MG[0-9a-fA-F]{32}$/;

/**
 * SMS through Twilio's Messages API, or any service that speaks it: a form-encoded POST to
 * `/2010-04-01/Accounts/{sid}/Messages.json` with basic authentication.
 */
export function createTwilioProvider(options: TwilioOptions): SmsProvider {
  const endpoint = `${options.apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  return {
    name: 'twilio',
    delivers: true,
    async send(m) {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: m.to, [MESSAGING_SERVICE.test(m.from) ? 'MessagingServiceSid' : 'From']: m.from, Body: m.body }).toString(),
          // A redirect could carry the credentials elsewhere.
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
      } catch (e) {
        // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause.
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
        throw new DeliveryError(`request failed: ${reason}`, false);
      }
      const text = await res.text().catch(() => '');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {}
      if (res.ok) return { providerId: typeof json.sid === 'string' ? json.sid : null };
      const detail = typeof json.message === 'string' ? json.message : text.slice(0, 200);
      const code = json.code !== undefined ? ` (code ${String(json.code)})` : '';
      // 400 is this message refused (Twilio's invalid number, unroutable sender): retrying cannot
      // help. 401, 403 and 404 mean wrong credentials or account, which an operator can fix, so
      // those are retried like 429 and 5xx.
      const permanent = res.status === 400 || res.status === 422;
      throw new DeliveryError(`HTTP ${res.status}${code}: ${detail}`.replace(/\s+/g, ' '), permanent);
    },
  };
}
