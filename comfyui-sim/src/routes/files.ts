import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {} from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contentTypeFor, dirForType, isInside, parseAnnotated } from '../outputs/data-dirs';
import type { RouteContext } from './context';

interface StagedUpload {
  tempPath: string;
  filename: string;
  sha256: string;
  truncated: boolean;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Streams the multipart form to disk: the `image` file to a staging path, the other fields to memory. */
async function readUploadForm(request: FastifyRequest, stagingDir: string): Promise<{ upload?: StagedUpload; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let upload: StagedUpload | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== 'image' || upload) {
      part.file.resume();
      continue;
    }
    const tempPath = path.join(stagingDir, `.upload-${randomUUID()}`);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(part.file, tap, createWriteStream(tempPath));
    upload = { tempPath, filename: part.filename, sha256: hash.digest('hex'), truncated: part.file.truncated };
  }
  return { upload, fields };
}

/** `GET /view` (streams a file) and `POST /upload/image`. */
export function registerFileRoutes(app: FastifyInstance, { core }: RouteContext): void {
  app.get('/view', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (typeof query.filename !== 'string') return reply.code(404).send();
    const { name, type: annotatedType } = parseAnnotated(query.filename);
    if (!name) return reply.code(400).send();
    if (name.startsWith('/') || path.isAbsolute(name) || name.includes('..')) return reply.code(400).send();
    const baseDir = dirForType(core.dirs, annotatedType ?? (typeof query.type === 'string' ? query.type : 'output'));
    if (!baseDir) return reply.code(400).send();
    let dir = baseDir;
    if (typeof query.subfolder === 'string') {
      dir = path.join(baseDir, query.subfolder);
      if (!isInside(baseDir, dir)) return reply.code(403).send();
    }
    const filename = path.basename(name);
    const file = path.join(dir, filename);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return reply.code(404).send();
    return reply
      .header('Content-Type', contentTypeFor(filename))
      .header('Content-Disposition', `filename="${filename}"`)
      .header('Content-Length', info.size)
      .send(createReadStream(file));
  });

  app.post('/upload/image', async (request, reply) => {
    if (!request.isMultipart()) return reply.code(400).send();
    const { upload, fields } = await readUploadForm(request, core.dirs.root);
    const discard = async () => {
      if (upload) await rm(upload.tempPath, { force: true });
    };
    if (!upload || !upload.filename) {
      await discard();
      return reply.code(400).send();
    }
    if (upload.truncated) {
      await discard();
      return reply.code(413).send();
    }
    const type = fields.type || 'input';
    const baseDir = dirForType(core.dirs, type);
    const subfolder = fields.subfolder ?? '';
    const dir = baseDir && path.join(baseDir, path.normalize(subfolder));
    let filename = upload.filename;
    if (!baseDir || !dir || !isInside(baseDir, dir) || !isInside(baseDir, path.join(dir, filename))) {
      await discard();
      return reply.code(400).send();
    }
    await mkdir(dir, { recursive: true });
    const overwrite = fields.overwrite === 'true' || fields.overwrite === '1';
    let duplicate = false;
    if (!overwrite) {
      const { name: stem, ext } = path.parse(upload.filename);
      for (let i = 1; await exists(path.join(dir, filename)); i += 1) {
        if ((await fileSha256(path.join(dir, filename))) === upload.sha256) {
          duplicate = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
      }
    }
    if (duplicate) await discard();
    else await rename(upload.tempPath, path.join(dir, filename));
    return { name: filename, subfolder, type };
  });
}
