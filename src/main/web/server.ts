/**
 * The web-mode server: the built renderer over HTTP and the app services over
 * one WebSocket per browser tab, both on 127.0.0.1 only. A socket must carry the
 * per-start token and come from a page this server served (matching Origin);
 * otherwise it is rejected. Run events go to every connected socket.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_METHODS, type ApiMethod, type RunEvent } from '../../shared/api';
import { WEB_CLOSE_UNAUTHORIZED, WEB_SOCKET_PATH, WEB_TOKEN_PARAM, type WebServerMessage } from '../../shared/web';
import { createLogger, describeError } from '../log';
import type { AppServices } from '../services/services';
import { sendText, serveStatic } from './staticFiles';

const log = createLogger('web');

/** Largest accepted WebSocket message; a project file is far smaller. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface WebServerOptions {
  services: AppServices;
  /** Folder of the built renderer (out/renderer). */
  rendererRoot: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Fixed token for tests; by default a random one per start. */
  token?: string;
}

export interface WebServer {
  /** Page address including the token, such as `http://127.0.0.1:5173/?token=…`. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Closes every socket and the listener. The services stay alive; the caller disposes them. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const sockets = new Set<WebSocket>();
  let port = 0;

  const server: Server = createServer((request, response) => {
    if (!isAllowedHost(request, port)) {
      sendText(response, 403, 'Forbidden: web mode answers only requests addressed to 127.0.0.1 or localhost.');
      return;
    }
    serveStatic(options.rendererRoot, request, response);
  });
  const socketServer = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    const rejection = checkUpgrade(request, url, port);
    if (rejection !== null) {
      log.warn(`rejected a WebSocket connection: ${rejection.reason}`);
      socket.end(`HTTP/1.1 ${rejection.status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }

    socketServer.handleUpgrade(request, socket, head, (webSocket) => {
      if (!tokenMatches(url.searchParams.get(WEB_TOKEN_PARAM), token)) {
        log.warn('rejected a WebSocket connection with a missing or wrong token');
        webSocket.close(WEB_CLOSE_UNAUTHORIZED, 'Missing or wrong token: open the URL printed by the server.');
        return;
      }
      sockets.add(webSocket);
      log.info(`browser connected (${sockets.size} open)`);
      webSocket.on('message', (data, isBinary) => {
        void handleCall(options.services, webSocket, data, isBinary);
      });
      webSocket.on('close', () => {
        sockets.delete(webSocket);
        log.info(`browser disconnected (${sockets.size} open)`);
      });
      webSocket.on('error', (error) => log.warn(`WebSocket error: ${error.message}`));
    });
  });

  const unsubscribe = options.services.onDidRunEvent((event: RunEvent) => {
    const text = JSON.stringify({ type: 'event', event } satisfies WebServerMessage);
    for (const socket of sockets) {
      if (socket.readyState === socket.OPEN) socket.send(text);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${HOST}:${port}/?${WEB_TOKEN_PARAM}=${token}`;
  log.info(`listening on ${HOST}:${port}, serving ${options.rendererRoot}`);

  return {
    url,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const socket of sockets) socket.terminate();
      socketServer.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.info('web server closed');
    },
  };
}

function allowedOrigins(port: number): string[] {
  return [`http://${HOST}:${port}`, `http://localhost:${port}`];
}

// A page on another site that the browser resolves to 127.0.0.1 (DNS rebinding)
// still sends its own Host, so only our address and localhost are served.
function isAllowedHost(request: IncomingMessage, port: number): boolean {
  const host = request.headers.host;
  return host === `${HOST}:${port}` || host === `localhost:${port}`;
}

function checkUpgrade(request: IncomingMessage, url: URL, port: number): { status: string; reason: string } | null {
  if (url.pathname !== WEB_SOCKET_PATH) return { status: '404 Not Found', reason: `unknown path ${url.pathname}` };
  if (!isAllowedHost(request, port)) return { status: '403 Forbidden', reason: `Host ${request.headers.host ?? '(none)'} is not this server` };
  const origin = request.headers.origin;
  if (origin === undefined || !allowedOrigins(port).includes(origin)) {
    return { status: '403 Forbidden', reason: `Origin ${origin ?? '(none)'} is not this server` };
  }
  return null;
}

function tokenMatches(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const receivedBytes = Buffer.from(received);
  const expectedBytes = Buffer.from(expected);
  return receivedBytes.length === expectedBytes.length && timingSafeEqual(receivedBytes, expectedBytes);
}

type CallParse = { ok: true; id: number; method: ApiMethod; args: unknown[] } | { ok: false; id: number; error: string };

function parseCall(data: unknown, isBinary: boolean): CallParse {
  if (isBinary) return { ok: false, id: -1, error: 'Invalid message: send JSON text, not binary data.' };
  let message: unknown;
  try {
    message = JSON.parse(String(data));
  } catch (error) {
    return { ok: false, id: -1, error: `Invalid message: not JSON (${describeError(error)}).` };
  }
  if (typeof message !== 'object' || message === null) return { ok: false, id: -1, error: 'Invalid message: expected a JSON object.' };

  const { type, id, method, args } = message as Record<string, unknown>;
  const callId = typeof id === 'number' && Number.isFinite(id) ? id : -1;
  if (type !== 'call') return { ok: false, id: callId, error: `Invalid message type ${JSON.stringify(type)}: expected "call".` };
  if (callId === -1) return { ok: false, id: -1, error: 'Invalid call: id must be a number.' };
  if (typeof method !== 'string' || !(API_METHODS as readonly string[]).includes(method)) {
    return { ok: false, id: callId, error: `Unknown method ${JSON.stringify(method)}: use one of ${API_METHODS.join(', ')}.` };
  }
  if (!Array.isArray(args)) return { ok: false, id: callId, error: `Invalid call to ${method}: args must be an array.` };
  return { ok: true, id: callId, method: method as ApiMethod, args };
}

async function handleCall(services: AppServices, socket: WebSocket, data: unknown, isBinary: boolean): Promise<void> {
  const call = parseCall(data, isBinary);
  let reply: WebServerMessage;
  if (!call.ok) {
    log.warn(`rejected a WebSocket message: ${call.error}`);
    reply = { type: 'result', id: call.id, ok: false, error: call.error };
  } else {
    try {
      const method = services[call.method] as (...args: unknown[]) => Promise<unknown>;
      const value = await method(...call.args);
      reply = { type: 'result', id: call.id, ok: true, value: value ?? null };
    } catch (error) {
      log.debug(`${call.method} failed: ${describeError(error)}`);
      reply = { type: 'result', id: call.id, ok: false, error: describeError(error) };
    }
  }
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
}
