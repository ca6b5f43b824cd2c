/**
 * The app services over the web-mode WebSocket bridge (src/shared/web.ts). Used
 * when the renderer runs in a plain browser against `npm run web`, where there is
 * no preload to provide `window.tensorloom`.
 */

import { API_METHODS, type ApiMethod, type RunEvent, type TensorloomApi, type Unsubscribe } from '../../../shared/api';
import {
  WEB_CLOSE_UNAUTHORIZED,
  WEB_SOCKET_PATH,
  WEB_TOKEN_PARAM,
  type WebCallMessage,
  type WebServerMessage,
} from '../../../shared/web';

export type ConnectionState = 'connecting' | 'open' | 'closed';

interface PendingCall {
  method: ApiMethod;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface WebClient extends TensorloomApi {
  /** Calls back on every connection state change, with the reason when the socket closed. */
  onDidChangeConnection(listener: (state: ConnectionState, reason: string | null) => void): Unsubscribe;
}

/** Reads the per-start token from the page URL (`?token=…`). */
export function readPageToken(pageUrl: string): string | null {
  return new URL(pageUrl).searchParams.get(WEB_TOKEN_PARAM);
}

/** Builds the WebSocket URL on the page's own host, carrying the token. */
export function webSocketUrl(pageUrl: string, token: string): string {
  const page = new URL(pageUrl);
  const protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${page.host}${WEB_SOCKET_PATH}?${WEB_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

function closeReason(code: number): string {
  if (code === WEB_CLOSE_UNAUTHORIZED) {
    return 'The web-mode server rejected the token. Open the exact URL that `npm run web` printed, including ?token=….';
  }
  return `The connection to the web-mode server closed (code ${code}). Check that \`npm run web\` is still running, then reload the page.`;
}

export function createWebClient(pageUrl: string): WebClient {
  const token = readPageToken(pageUrl);
  const runListeners = new Set<(event: RunEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState, reason: string | null) => void>();
  const pending = new Map<number, PendingCall>();
  const queued: WebCallMessage[] = [];
  let nextCallId = 1;
  let state: ConnectionState = 'connecting';
  let closedReason: string | null = null;

  function setState(next: ConnectionState, reason: string | null): void {
    state = next;
    closedReason = reason;
    for (const listener of connectionListeners) listener(next, reason);
  }

  const socket = token === null ? null : new WebSocket(webSocketUrl(pageUrl, token));
  if (socket === null) {
    closedReason = `The page URL has no ${WEB_TOKEN_PARAM} parameter. Open the exact URL that \`npm run web\` printed, including ?token=….`;
    state = 'closed';
  } else {
    socket.addEventListener('open', () => {
      setState('open', null);
      for (const message of queued.splice(0)) socket.send(JSON.stringify(message));
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      handleServerMessage(JSON.parse(String(event.data)) as WebServerMessage);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      const reason = closeReason(event.code);
      for (const [id, call] of pending) {
        call.reject(new Error(`${call.method} failed: ${reason}`));
        pending.delete(id);
      }
      setState('closed', reason);
    });
  }

  function handleServerMessage(message: WebServerMessage): void {
    if (message.type === 'event') {
      for (const listener of runListeners) listener(message.event);
      return;
    }
    const call = pending.get(message.id);
    if (call === undefined) return;
    pending.delete(message.id);
    if (message.ok) call.resolve(message.value);
    else call.reject(new Error(message.error));
  }

  function call<T>(method: ApiMethod, ...args: unknown[]): Promise<T> {
    if (socket === null || state === 'closed') {
      return Promise.reject(new Error(`${method} failed: ${closedReason ?? 'not connected'}`));
    }
    const message: WebCallMessage = { type: 'call', id: nextCallId++, method, args };
    return new Promise<T>((resolve, reject) => {
      pending.set(message.id, { method, resolve: resolve as (value: unknown) => void, reject });
      if (state === 'open') socket.send(JSON.stringify(message));
      else queued.push(message);
    });
  }

  // One forwarding function per method of the shared list, so a method added to the API works here unchanged.
  const methods = Object.fromEntries(API_METHODS.map((method) => [method, (...args: unknown[]) => call(method, ...args)])) as unknown as Omit<
    TensorloomApi,
    'platform' | 'onDidRunEvent'
  >;

  return {
    platform: 'web',
    ...methods,
    onDidRunEvent(listener) {
      runListeners.add(listener);
      return () => runListeners.delete(listener);
    },
    onDidChangeConnection(listener) {
      connectionListeners.add(listener);
      listener(state, closedReason);
      return () => connectionListeners.delete(listener);
    },
  };
}
