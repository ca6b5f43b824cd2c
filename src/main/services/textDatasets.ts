/**
 * Users' own text files as text datasets. The desktop app passes the chosen file's
 * path straight to `dataset.path`; web mode uploads the bytes, which are checked
 * and stored in the per-user data folder so the device process can read them.
 */

import { join } from 'node:path';
import type { UploadedTextDataset } from '../../shared/api';
import { decodeTextBytes } from '../../engine/data/text';
import { writeFileAtomic } from '../files/atomicFile';
import { dataFolder } from '../trainer/checkpointPaths';
import { mkdirSync } from 'node:fs';

/**
 * Largest upload accepted, in bytes of text. Base64 makes it 4/3 larger on the wire,
 * which stays under the web bridge's 16 MB message limit.
 */
export const MAX_TEXT_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Returns the folder of uploaded text datasets: `<data folder>/datasets`. */
export function textDatasetFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataFolder(env), 'datasets');
}

/** Checks an uploaded file's bytes and stores them atomically; throws with the file name on bad input. */
export function storeUploadedText(fileName: string, contentBase64: string, folder: string = textDatasetFolder()): UploadedTextDataset {
  if (typeof fileName !== 'string' || fileName.trim() === '') {
    throw new Error('uploadTextDataset: the file name is missing; choose a text file to upload.');
  }
  if (typeof contentBase64 !== 'string') {
    throw new Error(`uploadTextDataset: the content of ${fileName} is missing; choose the file again.`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(contentBase64)) {
    throw new Error(`uploadTextDataset: the content of ${fileName} is not base64; upload the file again.`);
  }
  const byteCount = Math.floor((contentBase64.length * 3) / 4);
  if (byteCount > MAX_TEXT_UPLOAD_BYTES) {
    throw new Error(
      `${fileName} is ${(byteCount / 1e6).toFixed(1)} MB, over the ${MAX_TEXT_UPLOAD_BYTES / (1024 * 1024)} MB upload limit; ` +
        'use a shorter excerpt, or the desktop app, which reads files of any size from disk.',
    );
  }

  const bytes = new Uint8Array(Buffer.from(contentBase64, 'base64'));
  const text = decodeTextBytes(bytes, fileName);
  if (text.trim() === '') throw new Error(`${fileName} contains only white space; give a text of at least a few hundred characters.`);

  const safeName = fileName.replace(/[^\w.-]+/g, '-').replace(/^[-.]+/, '') || 'text';
  mkdirSync(folder, { recursive: true });
  const path = join(folder, safeName.endsWith('.txt') ? safeName : `${safeName}.txt`);
  writeFileAtomic(path, bytes);
  return { path, characterCount: [...text].length };
}
