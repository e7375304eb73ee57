import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reads a sandbox key file, or creates it with `create()` on first start (mode 0600, directory 0700).
 * The file appears atomically (write aside, then hard-link into place), so two processes starting at
 * once end up with the same keys: the second reads what the first wrote.
 */
export async function readOrCreateKeyFile<T>(path: string, create: () => Promise<T>, parse: (value: unknown) => T): Promise<T> {
  try {
    return parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = await create();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(aside, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(aside, path);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parse(JSON.parse(await readFile(path, 'utf8')));
  } finally {
    await unlink(aside);
  }
}
