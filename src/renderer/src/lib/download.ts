/** Base64 conversion of bytes that cross the web-mode WebSocket bridge, and browser downloads of them. */

/** Decodes base64 (the WebSocket bridge carries bytes as JSON text) into bytes. */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Encodes bytes as base64 for a call over the WebSocket bridge. */
export function bytesToBase64(bytes: Uint8Array): string {
  // Chunks keep String.fromCharCode below the engine's argument count limit.
  const CHUNK_BYTES = 0x8000;
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK_BYTES));
  }
  return btoa(binary);
}

/** Starts a browser download of `bytes` as `fileName`. */
export function downloadBytes(bytes: Uint8Array<ArrayBuffer>, fileName: string, mimeType: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // Revoking frees the blob. The delay gives the browser time to start reading it for the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
