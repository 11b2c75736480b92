import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export type Reply = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers with this status code, body and headers. */
export const status =
  (code: number, body = 'error', headers: Record<string, string> = {}): Reply =>
  (_q, res) =>
    res.writeHead(code, headers).end(body);

/** Never answers, so the client's timeout has to fire. */
export const hang: Reply = () => {};

/**
 * A real webhook endpoint on 127.0.0.1, as hooks of the calling file: it records every request
 * body in `bodies` and answers with the next of `replies`, or 200 "ok" when none is left. Both
 * arrays keep their identity and are emptied before each test; `url` works once the server listens.
 */
export function useWebhookServer() {
  const replies: Reply[] = [];
  const bodies: string[] = [];
  let server: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    const listening = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        bodies.push(body);
        (replies.shift() ?? status(200, 'ok'))(req, res);
      });
    });
    server = listening;
    await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    port = (listening.address() as AddressInfo).port;
  });
  afterAll(async () => {
    const listening = server;
    if (!listening) return;
    listening.closeAllConnections();
    await new Promise<void>((r) => listening.close(() => r()));
  });
  beforeEach(() => {
    replies.length = 0;
    bodies.length = 0;
  });
  return { replies, bodies, url: (path: string) => `http://127.0.0.1:${port}${path}` };
}
