import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A network in front of the sandbox EHR that can fail the way a real one does, below HTTP: the EHR's port closed
 * (connection refused), an EHR that accepts the request and sends nothing for a minute, one that sends its headers
 * and then trickles the body a byte a second. The app and the browser both reach the sandbox only through it
 * (SANDBOX_BASE_URL names the proxy), so every URL the sandbox hands out points here too.
 */
export type ProxyMode = 'pass' | 'hold-headers' | 'trickle-body';

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: what SANDBOX_BASE_URL is set to. */
  origin: string;
  port: number;
  mode: ProxyMode;
  /** Where requests are forwarded (the sandbox's own port, known once it listens). */
  targetPort: number;
  /** Requests that arrived while the mode was not `pass`. */
  readonly faulted: number;
  /** Closes the port and every open connection: the next connection attempt is refused (ECONNREFUSED). */
  down(): Promise<void>;
  /** Opens the same port again. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** How long "headers after 60 s" waits before answering (longer than every deadline the app has). */
export const HOLD_MS = 60_000;
/** The trickle's pace: one byte a second. */
export const TRICKLE_INTERVAL_MS = 1000;

export async function startFaultProxy(): Promise<FaultProxy> {
  const timers = new Set<NodeJS.Timeout>();
  let faulted = 0;
  const after = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const forward = (req: http.IncomingMessage, onAnswer: (answer: http.IncomingMessage) => void, res: http.ServerResponse): void => {
    const upstream = http.request(
      { host: '127.0.0.1', port: proxy.targetPort, method: req.method, path: req.url, headers: req.headers },
      onAnswer,
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const server = http.createServer((req, res) => {
    const mode = proxy.mode;
    if (mode === 'pass') {
      forward(req, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }, res);
      return;
    }
    faulted += 1;
    if (mode === 'hold-headers') {
      req.resume();
      after(HOLD_MS, () => {
        if (!res.destroyed) {
          res.writeHead(503).end();
        }
      });
      return;
    }
    forward(req, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const sendByte = (index: number): void => {
          if (res.destroyed) {
            return;
          }
          if (index >= body.length) {
            res.end();
            return;
          }
          res.write(body.subarray(index, index + 1));
          after(TRICKLE_INTERVAL_MS, () => sendByte(index + 1));
        };
        sendByte(0);
      });
    }, res);
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const port = await listen(0);
  const proxy: FaultProxy = {
    origin: `http://127.0.0.1:${port}`,
    port,
    mode: 'pass',
    targetPort: 0,
    get faulted(): number {
      return faulted;
    },
    down: stop,
    up: async () => {
      await listen(port);
    },
    close: async () => {
      timers.forEach((timer) => clearTimeout(timer));
      await stop();
    },
  };
  return proxy;
}
