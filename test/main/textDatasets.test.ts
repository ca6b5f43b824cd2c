import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices, TEXT_DIALOG_UNAVAILABLE } from '../../src/main/services/services';
import { MAX_TEXT_UPLOAD_BYTES, storeUploadedText } from '../../src/main/services/textDatasets';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { realDeviceEntry } from './helpers';

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-text-upload-'));
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

function base64(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64');
}

describe('storeUploadedText', () => {
  it('stores UTF-8 text and returns its path', () => {
    const stored = storeUploadedText('poem.txt', base64('Über alles, déjà vu.\n'), folder);

    expect(stored.path).toBe(join(folder, 'poem.txt'));
    expect(readFileSync(stored.path, 'utf8')).toBe('Über alles, déjà vu.\n');
    expect(stored.characterCount).toBe(21);
  });

  it('replaces unsafe characters in the file name', () => {
    const stored = storeUploadedText('../../etc/my notes', base64('some text here'), folder);

    expect(stored.path).toBe(join(folder, 'etc-my-notes.txt'));
  });

  it('rejects an empty file by name', () => {
    expect(() => storeUploadedText('empty.txt', '', folder)).toThrow('empty.txt: the file is empty');
  });

  it('rejects a binary file by name', () => {
    expect(() => storeUploadedText('image.png', base64(Uint8Array.of(0x89, 0x50, 0x00, 0x47)), folder)).toThrow(
      'image.png: byte 2 is NUL',
    );
  });

  it('rejects invalid UTF-8 with the offset', () => {
    expect(() => storeUploadedText('latin1.txt', base64(Uint8Array.of(0x61, 0xe9, 0x61)), folder)).toThrow(
      'latin1.txt: the bytes at offset 1 are not valid UTF-8',
    );
  });

  it('rejects white space only', () => {
    expect(() => storeUploadedText('blank.txt', base64('   \n\t'), folder)).toThrow('blank.txt contains only white space');
  });

  it('rejects content that is not base64', () => {
    expect(() => storeUploadedText('notes.txt', 'not base64!', folder)).toThrow('is not base64');
  });

  it('rejects an upload over the limit before decoding it', () => {
    const oversized = 'A'.repeat(Math.ceil((MAX_TEXT_UPLOAD_BYTES * 4) / 3) + 8);

    expect(() => storeUploadedText('huge.txt', oversized, folder)).toThrow('over the 10 MB upload limit');
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('services text file access', () => {
  it('rejects the text dialog in web mode', async () => {
    const services = createServices({ launcher: createNodeLauncher(realDeviceEntry), dialogHost: null });

    await expect(services.openTextFileDialog()).rejects.toThrow(TEXT_DIALOG_UNAVAILABLE);
    services.dispose();
  });

  it('stores an upload in the data folder', async () => {
    const previous = process.env.TENSORLOOM_DATA_DIR;
    process.env.TENSORLOOM_DATA_DIR = folder;
    const services = createServices({ launcher: createNodeLauncher(realDeviceEntry), dialogHost: null });

    try {
      const stored = await services.uploadTextDataset('story.txt', base64('Once upon a time.'));

      expect(stored.path).toBe(join(folder, 'datasets', 'story.txt'));
      expect(existsSync(stored.path)).toBe(true);
    } finally {
      services.dispose();
      process.env.TENSORLOOM_DATA_DIR = previous;
    }
  });
});
