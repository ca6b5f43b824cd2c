import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { setLogSink } from '../../src/main/log';
import { createServices, OPEN_DIALOG_UNAVAILABLE, type AppServices } from '../../src/main/services/services';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import type { RunEvent } from '../../src/shared/api';
import type { WebServerMessage } from '../../src/shared/web';
import { realDeviceEntry, xorProject } from './helpers';

let rendererRoot: string;
let services: AppServices;
let server: WebServer;
let restoreSink: () => void;

beforeAll(async () => {
  restoreSink = setLogSink(() => {});
  rendererRoot = mkdtempSync(join(tmpdir(), 'tensorloom-renderer-'));
  writeFileSync(join(rendererRoot, 'index.html'), '<!doctype html><title>Tensorloom</title>');
  mkdirSync(join(rendererRoot, 'assets'));
  writeFileSync(join(rendererRoot, 'assets', 'app-1234.js'), 'console.log("app");');
  writeFileSync(join(rendererRoot, 'assets', 'app-1234.css'), 'body {}');
  services = createServices({ launcher: createNodeLauncher(realDeviceEntry) });
  server = await startWebServer({ services, rendererRoot, port: 0 });
});

afterAll(async () => {
  await server.close();
  services.dispose();
  rmSync(rendererRoot, { recursive: true, force: true });
  restoreSink();
});

interface HttpReply {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Sends a GET with the raw `path` (not normalised, unlike fetch) and an optional Host header. */
function get(path: string, host = `127.0.0.1:${server.port}`): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers: { Host: host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function socketUrl(token: string | null): string {
  return `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
}

function connect(token: string | null = server.token, origin = `http://127.0.0.1:${server.port}`): WebSocket {
  return new WebSocket(socketUrl(token), { origin });
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

/** Collects every message the server sends on `socket`. */
function inbox(socket: WebSocket): WebServerMessage[] {
  const messages: WebServerMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as WebServerMessage));
  return messages;
}

let nextId = 1;
function call(socket: WebSocket, method: string, args: unknown[] = []): Promise<Extract<WebServerMessage, { type: 'result' }>> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as WebServerMessage;
      if (message.type === 'result' && message.id === id) {
        socket.off('message', onMessage);
        resolve(message);
      }
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ type: 'call', id, method, args }));
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('web server over HTTP', () => {
  it('prints a 127.0.0.1 URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves index.html at the root', async () => {
    const reply = await get('/?token=abc');

    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('text/html; charset=utf-8');
    expect(reply.body).toContain('<title>Tensorloom</title>');
  });

  it('serves assets with their content types', async () => {
    expect((await get('/assets/app-1234.js')).contentType).toBe('text/javascript; charset=utf-8');
    expect((await get('/assets/app-1234.css')).contentType).toBe('text/css; charset=utf-8');
  });

  it('rejects path traversal', async () => {
    for (const path of ['/../package.json', '/assets/../../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/assets%5c..%5c..%5cpackage.json']) {
      const reply = await get(path);
      expect(reply.status, path).toBe(400);
      expect(reply.body, path).not.toContain('tensorloom');
    }
  });

  it('answers 404 for a missing file', async () => {
    expect((await get('/nothing-here.js')).status).toBe(404);
  });

  it('rejects a foreign Host header', async () => {
    expect((await get('/', `evil.example:${server.port}`)).status).toBe(403);
  });
});

describe('web server over WebSocket', () => {
  it('closes a socket with a wrong token', async () => {
    const socket = connect('wrong-token');
    expect(await closed(socket)).toBe(4401);
  });

  it('closes a socket without a token', async () => {
    const socket = connect(null);
    expect(await closed(socket)).toBe(4401);
  });

  it('rejects a socket from another origin', async () => {
    const socket = connect(server.token, 'http://evil.example');
    const rejected = new Promise<string>((resolve) => socket.once('error', (error) => resolve(error.message)));
    expect(await rejected).toBe('Unexpected server response: 403');
  });

  it('answers a method call', async () => {
    const socket = connect();
    await opened(socket);

    const reply = await call(socket, 'listDatasets');

    expect(reply.ok).toBe(true);
    if (reply.ok) expect((reply.value as Array<{ id: string }>).map((info) => info.id)).toContain('mnist');
    socket.close();
  });

  it('returns errors for bad calls', async () => {
    const socket = connect();
    await opened(socket);

    const unknown = await call(socket, 'formatDisk');
    const dialog = await call(socket, 'openProjectDialog');
    const pause = await call(socket, 'pauseRun');

    expect(unknown).toMatchObject({ ok: false, error: expect.stringContaining('Unknown method "formatDisk"') });
    expect(dialog).toEqual({ type: 'result', id: dialog.id, ok: false, error: OPEN_DIALOG_UNAVAILABLE });
    expect(pause).toMatchObject({ ok: false, error: 'Cannot pause: no run is active. Only a running run can be paused.' });
    socket.close();
  });

  it('broadcasts run events to every socket', async () => {
    const first = connect();
    const second = connect();
    await Promise.all([opened(first), opened(second)]);
    const firstInbox = inbox(first);
    const secondInbox = inbox(second);
    const events = (messages: WebServerMessage[]): RunEvent[] =>
      messages.flatMap((message) => (message.type === 'event' ? [message.event] : []));

    const started = await call(first, 'startRun', [xorProject({ epochs: 2 })]);
    expect(started).toMatchObject({ ok: true, value: { state: 'starting' } });
    await waitFor(() => events(secondInbox).some((event) => event.kind === 'done'), 30_000, 'done event on the second socket');

    for (const received of [events(firstInbox), events(secondInbox)]) {
      expect(received.filter((event) => event.kind === 'epoch')).toHaveLength(2);
      expect(received.some((event) => event.kind === 'started')).toBe(true);
    }
    first.close();
    second.close();
  });
});
