import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny local HTTP server for testing the app's outbound FHIR client: it records every request (method, URL,
 * Authorization header) and answers through a per-test handler, so a test can prove both what the app did with
 * an answer and that it never sent a request (or a token) somewhere it should not.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

export interface RecordingServer {
  origin: string;
  requests: RecordedRequest[];
  /** TCP connections accepted, with or without a request (a preconnect opens one and sends nothing). */
  readonly connections: number;
  handle(handler: http.RequestListener): void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let handler: http.RequestListener = (_request, response) => {
    response.writeHead(404).end();
  };
  const server = http.createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      accept: request.headers.accept,
    });
    void handler(request, response);
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get connections(): number {
      return connections;
    },
    handle(next: http.RequestListener): void {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON body with the given status and content type. */
export function sendJson(response: http.ServerResponse, status: number, body: unknown, contentType = 'application/fhir+json'): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) }).end(text);
}
