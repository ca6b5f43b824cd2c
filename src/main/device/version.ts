import packageJson from '../../../package.json';

/** Version of this Tensorloom build, from package.json, as written into checkpoint metadata. */
export const TENSORLOOM_VERSION: string = packageJson.version;
