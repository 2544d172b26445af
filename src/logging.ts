/**
 * Paths pino masks in every log line. Bodies are never logged, but an error object may carry
 * a request's headers or fields; these keep secrets out all the same.
 */
export const LOG_REDACT = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    '*.password',
    '*.password_digest',
    '*.secret',
    '*.token',
    '*.key',
    'headers.authorization',
  ],
  censor: '[redacted]',
};
