import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { setLogSink } from '../../src/main/log';
import {
  createServices,
  OPEN_DIALOG_UNAVAILABLE,
  SAVE_DIALOG_UNAVAILABLE,
  type AppServices,
  type DialogHost,
} from '../../src/main/services/services';
import { realDeviceEntry, recordEvents, waitForEvent, xorProject } from './helpers';

let folder: string;
let restoreSink: () => void;
const created: AppServices[] = [];

function makeServices(dialogHost: DialogHost | null = null): AppServices {
  const services = createServices({ launcher: createNodeLauncher(realDeviceEntry), dialogHost });
  created.push(services);
  return services;
}

/** Creates a dialog host that returns fixed paths and records each suggested save path. */
function scriptedDialogs(openPath: string | null, savePath: string | null): DialogHost & { suggested: string[] } {
  const suggested: string[] = [];
  return {
    suggested,
    showOpenDialog: async () => openPath,
    showSaveDialog: async (suggestedPath) => {
      suggested.push(suggestedPath);
      return savePath;
    },
    showTextOpenDialog: async () => openPath,
  };
}

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-services-'));
  restoreSink = setLogSink(() => {});
});

afterEach(() => {
  for (const services of created.splice(0)) services.dispose();
  rmSync(folder, { recursive: true, force: true });
  restoreSink();
});

describe('services', () => {
  it('lists the bundled datasets', async () => {
    const datasets = await makeServices().listDatasets();

    expect(datasets.map((info) => info.id)).toEqual(['mnist', 'xor', 'circles', 'spirals', 'brown', 'text-file']);
    expect(datasets[0].featureShape).toEqual([784]);
  });

  it('rejects dialogs without a dialog host', async () => {
    const services = makeServices();

    await expect(services.openProjectDialog()).rejects.toThrow(OPEN_DIALOG_UNAVAILABLE);
    await expect(services.saveProjectDialog(xorProject(), null, false)).rejects.toThrow(SAVE_DIALOG_UNAVAILABLE);
  });

  it('saves through the dialog and opens the file again', async () => {
    const path = join(folder, 'chosen.json');
    const dialogs = scriptedDialogs(path, path);
    const services = makeServices(dialogs);

    const saved = await services.saveProjectDialog(xorProject(), null, false);
    const opened = await services.openProjectDialog();

    expect(saved).toEqual({ location: path });
    expect(dialogs.suggested).toEqual(['xor-test.json']);
    expect(opened?.result.ok).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8')).name).toBe('xor test');
  });

  it('saves to a known location without a dialog', async () => {
    const path = join(folder, 'known.json');
    const dialogs = scriptedDialogs(null, null);

    const saved = await makeServices(dialogs).saveProjectDialog(xorProject(), path, false);

    expect(saved).toEqual({ location: path });
    expect(dialogs.suggested).toEqual([]);
    expect(existsSync(path)).toBe(true);
  });

  it('returns null when a dialog is cancelled', async () => {
    const services = makeServices(scriptedDialogs(null, null));

    expect(await services.openProjectDialog()).toBeNull();
    expect(await services.saveProjectDialog(xorProject(), join(folder, 'x.json'), true)).toBeNull();
    expect(existsSync(join(folder, 'x.json'))).toBe(false);
  });

  it('rejects a run whose graph is invalid, naming node and port', async () => {
    const services = makeServices();
    const events = recordEvents(services);
    const project = xorProject();
    project.graph.edges = project.graph.edges.filter((edge) => edge.id !== 'e3');

    await expect(services.startRun(project)).rejects.toThrow(/The project is invalid, so the run did not start.*node fc2, port input/);
    const error = events.find((event) => event.kind === 'error');
    expect(error?.kind).toBe('error');
    if (error?.kind === 'error') expect(error.issues).toEqual([expect.objectContaining({ nodeId: 'fc2', port: 'input' })]);
    expect(await services.getRunStatus()).toEqual({ state: 'idle', runId: null });
  });

  it('rejects a run whose fields are invalid, naming the field', async () => {
    const services = makeServices();
    const project = xorProject({ batchSize: 0 });

    await expect(services.startRun(project)).rejects.toThrow(/training\.batchSize/);
  });

  it('rejects arguments of the wrong type', async () => {
    const services = makeServices();

    await expect(services.parseProject(42 as unknown as string, 'x.json')).rejects.toThrow('parseProject: text must be a string, got number.');
    await expect(services.startRun(null as never)).rejects.toThrow('startRun: project must be an object, got null.');
  });

  it('runs a project to completion', async () => {
    const services = makeServices();
    const done = waitForEvent(services, 'done');

    const status = await services.startRun(xorProject({ epochs: 2 }));

    expect(status.state).toBe('starting');
    expect(await done).toMatchObject({ reason: 'completed', epochs: 2 });
  });
});
