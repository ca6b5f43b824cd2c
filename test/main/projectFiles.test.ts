import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setLogSink } from '../../src/main/log';
import { readProjectFile, saveProjectFile } from '../../src/main/services/projectFiles';
import { xorProject } from './helpers';

let folder: string;
let restoreSink: () => void;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-files-'));
  restoreSink = setLogSink(() => {});
});

afterEach(() => {
  restoreSink();
  rmSync(folder, { recursive: true, force: true });
});

const ORIGINAL_TEXT = '{"original": true}\n';

describe('saveProjectFile', () => {
  it('writes a project that reads back equal', () => {
    const path = join(folder, 'xor.json');
    const project = xorProject();

    saveProjectFile(path, project);
    const opened = readProjectFile(path);

    expect(opened.location).toBe(path);
    expect(opened.result.ok).toBe(true);
    if (opened.result.ok) expect(opened.result.project).toEqual(project);
    expect(readdirSync(folder)).toEqual(['xor.json']);
  });

  it('keeps the old file when the write fails midway', () => {
    const path = join(folder, 'xor.json');
    writeFileSync(path, ORIGINAL_TEXT);
    const failingHalfway = {
      write(fd: number, bytes: Uint8Array) {
        writeFileSync(fd, bytes.subarray(0, bytes.length / 2));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };

    expect(() => saveProjectFile(path, xorProject(), failingHalfway)).toThrow(`Cannot save ${path}: the disk is full. The file was not changed`);
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL_TEXT);
    expect(readdirSync(folder)).toEqual(['xor.json']);
  });

  it('keeps the old file when serialization fails', () => {
    const path = join(folder, 'xor.json');
    writeFileSync(path, ORIGINAL_TEXT);
    const broken = xorProject({ learningRate: Number.NaN });

    expect(() => saveProjectFile(path, broken)).toThrow(/could not be serialized .*training\.learningRate is NaN.*The file was not changed/);
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL_TEXT);
    expect(readdirSync(folder)).toEqual(['xor.json']);
  });

  it('names the path when the folder is missing', () => {
    const path = join(folder, 'missing', 'xor.json');

    expect(() => saveProjectFile(path, xorProject())).toThrow(`Cannot save ${path}: the folder does not exist`);
  });
});

describe('readProjectFile', () => {
  it('names a missing file', () => {
    const path = join(folder, 'nope.json');

    expect(() => readProjectFile(path)).toThrow(`Cannot open project ${path}: the file does not exist. Check the path and try again.`);
  });

  it('returns issues for a file that is not a project', () => {
    const path = join(folder, 'list.json');
    writeFileSync(path, '[1, 2]');

    const opened = readProjectFile(path);

    expect(opened.result.ok).toBe(false);
    if (!opened.result.ok) expect(opened.result.issues[0].message).toContain(path);
  });
});
