/** The server's version, from package.json (esbuild inlines only this field into the bundle). */
import { version } from '../../package.json';

export const SERVER_VERSION: string = version;
