/** The URL policy of the app window: it loads its own pages only, never remote content. */

/**
 * Returns true when `url` belongs to the app: a file inside the built renderer
 * folder, or, in development, a page of the electron-vite dev server.
 */
export function isAppUrl(url: string, rendererFileUrl: string, devServerUrl: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl !== undefined && devServerUrl !== '') {
    const devOrigin = new URL(devServerUrl).origin;
    if (parsed.origin === devOrigin) return true;
  }
  if (parsed.protocol !== 'file:') return false;
  const rendererFolder = rendererFileUrl.slice(0, rendererFileUrl.lastIndexOf('/') + 1);
  return parsed.href.startsWith(rendererFolder);
}

/** Returns true for requests the window may make: app pages, devtools and data/blob URLs it created. */
export function isAllowedRequest(url: string, rendererFileUrl: string, devServerUrl: string | undefined): boolean {
  if (url.startsWith('devtools:') || url.startsWith('data:') || url.startsWith('blob:')) return true;
  if (devServerUrl !== undefined && devServerUrl !== '' && url.startsWith('ws://')) {
    // The dev server's hot-reload socket runs on the same host and port as its pages.
    return new URL(url).host === new URL(devServerUrl).host;
  }
  return isAppUrl(url, rendererFileUrl, devServerUrl);
}
