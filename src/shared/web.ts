/**
 * The web-mode bridge protocol: the renderer in a browser calls the same app
 * services over one WebSocket at `/ws?token=…` on 127.0.0.1. The token is random
 * per server start and is printed with the URL; a connection without it is closed.
 */

import type { ApiMethod, RunEvent } from './api';

export const WEB_SOCKET_PATH = '/ws';
/** Query parameter that carries the per-start token, in the page URL and the socket URL. */
export const WEB_TOKEN_PARAM = 'token';
/** WebSocket close code sent when the token is missing or wrong. */
export const WEB_CLOSE_UNAUTHORIZED = 4401;

export interface WebCallMessage {
  type: 'call';
  id: number;
  method: ApiMethod;
  args: unknown[];
}

export type WebServerMessage =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string }
  | { type: 'event'; event: RunEvent };
