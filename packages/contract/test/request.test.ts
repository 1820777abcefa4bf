import {
  CancelVideoJobRequestSchema,
  CreateVideoJobRequestSchema,
  CreateVideoJobResponseSchema,
  describeIssues,
  isOwnUpload,
  NEGATIVE_PROMPT_MAX_CHARS,
  parseOrThrow,
  PROMPT_MAX_CHARS,
} from '@vidgen/contract';

/** The sentences describeIssues makes for `input`; fails the test if the input is accepted. */
function issuesOf(input: unknown): string[] {
  const result = CreateVideoJobRequestSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused, it parsed to ${JSON.stringify(result.data)}`);
  return describeIssues(result.error);
}

const PATH_RULE = 'must be a Storage path uploads/{your uid}/NAME.png|jpg|jpeg|webp without ".." segments';

describe('CreateVideoJobRequestSchema: valid requests', () => {
  it('accepts a minimal request and defaults the model to auto', () => {
    expect(CreateVideoJobRequestSchema.parse({ prompt: 'a cat on a skateboard' })).toEqual({ prompt: 'a cat on a skateboard', model: 'auto' });
  });

  it('trims the prompt and the negative prompt', () => {
    expect(CreateVideoJobRequestSchema.parse({ prompt: '  a cat \n', negativePrompt: ' blur ' })).toEqual({ prompt: 'a cat', negativePrompt: 'blur', model: 'auto' });
  });

  it('accepts every field at once', () => {
    const request = {
      prompt: 'a lighthouse at dusk',
      negativePrompt: 'text, watermark',
      model: 'svd',
      referenceImagePath: 'uploads/uid_123/refs/lighthouse.jpeg',
      aspectRatio: '9:16',
      durationSeconds: 3,
      seed: 42,
      idempotencyKey: 'client-1:job.7_a-b',
    };
    expect(CreateVideoJobRequestSchema.parse(request)).toEqual(request);
  });

  it.each(['auto', 'veo', 'animatediff', 'svd'])('accepts model %s', (model) => {
    expect(CreateVideoJobRequestSchema.parse({ prompt: 'p', model }).model).toBe(model);
  });

  it.each(['16:9', '9:16', '1:1'])('accepts aspect ratio %s', (aspectRatio) => {
    expect(CreateVideoJobRequestSchema.parse({ prompt: 'p', aspectRatio }).aspectRatio).toBe(aspectRatio);
  });

  it('accepts the bounds of every number and string', () => {
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'x'.repeat(PROMPT_MAX_CHARS) }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', negativePrompt: 'x'.repeat(NEGATIVE_PROMPT_MAX_CHARS) }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', negativePrompt: '' }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', durationSeconds: 1 }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', durationSeconds: 60 }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', seed: 0 }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', seed: 2 ** 32 - 1 }).success).toBe(true);
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: 'p', idempotencyKey: 'k'.repeat(128) }).success).toBe(true);
  });

  it('measures the prompt limit after trimming', () => {
    expect(CreateVideoJobRequestSchema.safeParse({ prompt: ` ${'x'.repeat(PROMPT_MAX_CHARS)} ` }).success).toBe(true);
  });
});

describe('CreateVideoJobRequestSchema: each bad field is refused and named', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['empty prompt', { prompt: '' }, 'prompt: must not be empty'],
    ['whitespace-only prompt', { prompt: ' \t\n ' }, 'prompt: must not be empty'],
    ['2001-character prompt', { prompt: 'x'.repeat(PROMPT_MAX_CHARS + 1) }, 'prompt: must be at most 2000 characters'],
    ['number prompt', { prompt: 42 }, 'prompt: must be a string'],
    ['array prompt', { prompt: ['a'] }, 'prompt: must be a string'],
    ['missing prompt', {}, 'prompt: must be a string'],
    ['null prompt', { prompt: null }, 'prompt: must be a string'],
    ['1001-character negative prompt', { prompt: 'p', negativePrompt: 'x'.repeat(NEGATIVE_PROMPT_MAX_CHARS + 1) }, 'negativePrompt: must be at most 1000 characters'],
    ['number negative prompt', { prompt: 'p', negativePrompt: 1 }, 'negativePrompt: must be a string'],
    ['negative seed', { prompt: 'p', seed: -1 }, 'seed: must be at least 0'],
    ['fractional seed', { prompt: 'p', seed: 1.5 }, 'seed: must be a whole number'],
    ['seed over 2^32-1', { prompt: 'p', seed: 2 ** 32 }, `seed: must be at most ${2 ** 32 - 1}`],
    ['string seed', { prompt: 'p', seed: '7' }, 'seed: must be a number'],
    ['zero duration', { prompt: 'p', durationSeconds: 0 }, 'durationSeconds: must be at least 1'],
    ['601-second duration', { prompt: 'p', durationSeconds: 601 }, 'durationSeconds: must be at most 600'],
    ['2.5-second duration', { prompt: 'p', durationSeconds: 2.5 }, 'durationSeconds: must be a whole number of seconds'],
    ['string duration', { prompt: 'p', durationSeconds: '4' }, 'durationSeconds: must be a number'],
    ['idempotency key with spaces', { prompt: 'p', idempotencyKey: 'my key' }, 'idempotencyKey: must be 1-128 characters of letters, digits and _ . : -'],
    ['empty idempotency key', { prompt: 'p', idempotencyKey: '' }, 'idempotencyKey: must be 1-128 characters of letters, digits and _ . : -'],
    ['129-character idempotency key', { prompt: 'p', idempotencyKey: 'k'.repeat(129) }, 'idempotencyKey: must be 1-128 characters of letters, digits and _ . : -'],
    ['idempotency key with a slash', { prompt: 'p', idempotencyKey: 'a/b' }, 'idempotencyKey: must be 1-128 characters of letters, digits and _ . : -'],
    ['number idempotency key', { prompt: 'p', idempotencyKey: 5 }, 'idempotencyKey: must be a string'],
    ['number reference image path', { prompt: 'p', referenceImagePath: 5 }, 'referenceImagePath: must be a string'],
    ['unknown field', { prompt: 'p', promt: 'typo' }, 'promt: is not a known field'],
  ])('%s', (_name, input, sentence) => {
    expect(issuesOf(input)).toEqual([sentence]);
  });

  it('names every unknown field', () => {
    expect(issuesOf({ prompt: 'p', a: 1, b: 2 })).toEqual(['a: is not a known field; b: is not a known field']);
  });

  it.each([['model', { prompt: 'p', model: 'sora' }], ['model', { prompt: 'p', model: 'AUTO' }], ['aspectRatio', { prompt: 'p', aspectRatio: '4:3' }]])(
    'refuses a value outside the %s enum',
    (field, input) => {
      const issues = issuesOf(input);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(new RegExp(`^${field}: `));
    },
  );

  it('lists every problem of a request, each naming its field', () => {
    const issues = issuesOf({ prompt: '', seed: -1, durationSeconds: 2.5, extra: true });
    expect(issues).toEqual(expect.arrayContaining([
      'prompt: must not be empty',
      'seed: must be at least 0',
      'durationSeconds: must be a whole number of seconds',
      'extra: is not a known field',
    ]));
    expect(issues).toHaveLength(4);
  });

  it('names the request itself when it is not an object', () => {
    for (const input of [null, 'a cat', 42, []]) {
      const issues = issuesOf(input);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^request: /);
    }
  });
});

describe('CreateVideoJobRequestSchema: referenceImagePath', () => {
  it.each([
    'uploads/uid123/photo.png',
    'uploads/uid123/photo.jpg',
    'uploads/uid123/photo.jpeg',
    'uploads/uid123/photo.webp',
    'uploads/uid123/PHOTO.PNG',
    'uploads/uid123/photo.JPG',
    'uploads/AbC-_9/my photo 1.png',
    'uploads/uid123/a/b/c/d/photo.png',
    'uploads/uid123/2024.01.02/photo.v2.webp',
  ])('accepts %s', (referenceImagePath) => {
    expect(CreateVideoJobRequestSchema.parse({ prompt: 'p', referenceImagePath }).referenceImagePath).toBe(referenceImagePath);
  });

  it.each([
    ['a ".." segment', 'uploads/uid123/../other/photo.png'],
    ['a ".." uid', 'uploads/../photo.png'],
    ['a ".." file name', 'uploads/uid123/..'],
    ['a leading ".."', '../uploads/uid123/photo.png'],
    ['a "." segment', 'uploads/uid123/./photo.png'],
    ['an absolute path', '/uploads/uid123/photo.png'],
    ['another folder', 'images/uid123/photo.png'],
    ['a path with no uid folder', 'uploads/photo.png'],
    ['a prefix that only starts like uploads', 'uploadsx/uid123/photo.png'],
    ['a gif', 'uploads/uid123/photo.gif'],
    ['no extension', 'uploads/uid123/photo'],
    ['an image extension that is not last', 'uploads/uid123/photo.png.exe'],
    ['a hidden file', 'uploads/uid123/.png'],
    ['a hidden file with a name', 'uploads/uid123/.hidden.png'],
    ['a hidden folder', 'uploads/uid123/.cache/photo.png'],
    ['a URL', 'https://example.com/uploads/uid123/photo.png'],
    ['a gs:// URL', 'gs://bucket/uploads/uid123/photo.png'],
    ['backslashes', 'uploads\\uid123\\photo.png'],
    ['a doubled slash', 'uploads/uid123//photo.png'],
    ['more than four subfolders', 'uploads/uid123/a/b/c/d/e/photo.png'],
    ['a uid with a dot', 'uploads/uid.123/photo.png'],
    ['an empty string', ''],
  ])('refuses %s', (_name, referenceImagePath) => {
    expect(issuesOf({ prompt: 'p', referenceImagePath })).toEqual([`referenceImagePath: ${PATH_RULE}`]);
  });

  // Exposes a bug: the IMAGE_PATH regex carries the `i` flag (meant for the extension), so it
  // also matches the `uploads/` prefix case-insensitively. Storage paths are case-sensitive:
  // `UPLOADS/...` is not under `uploads/`.
  it.each(['UPLOADS/uid123/photo.png', 'Uploads/uid123/photo.png'])('refuses %s, which is not under uploads/', (referenceImagePath) => {
    expect(issuesOf({ prompt: 'p', referenceImagePath })).toEqual([`referenceImagePath: ${PATH_RULE}`]);
  });
});

describe('isOwnUpload', () => {
  it('accepts a path in the caller\'s own upload folder', () => {
    expect(isOwnUpload('uploads/uid123/photo.png', 'uid123')).toBe(true);
    expect(isOwnUpload('uploads/uid123/a/b/photo.png', 'uid123')).toBe(true);
  });

  it('refuses another user\'s folder, including one whose uid merely starts the same', () => {
    expect(isOwnUpload('uploads/uid1234/photo.png', 'uid123')).toBe(false);
    expect(isOwnUpload('uploads/uid12/photo.png', 'uid123')).toBe(false);
    expect(isOwnUpload('uploads/other/photo.png', 'uid123')).toBe(false);
  });

  it('refuses paths outside uploads/ and a different case', () => {
    expect(isOwnUpload('images/uid123/photo.png', 'uid123')).toBe(false);
    expect(isOwnUpload('/uploads/uid123/photo.png', 'uid123')).toBe(false);
    expect(isOwnUpload('UPLOADS/uid123/photo.png', 'uid123')).toBe(false);
    expect(isOwnUpload('uploads/UID123/photo.png', 'uid123')).toBe(false);
  });
});

describe('describeIssues and parseOrThrow', () => {
  it('parseOrThrow returns the parsed value', () => {
    expect(parseOrThrow(CreateVideoJobRequestSchema, { prompt: ' p ' }, 'request')).toEqual({ prompt: 'p', model: 'auto' });
  });

  it('parseOrThrow throws one error listing every problem', () => {
    expect(() => parseOrThrow(CreateVideoJobRequestSchema, { prompt: '', seed: -1 }, 'createVideoJob input')).toThrow(
      'createVideoJob input is invalid: prompt: must not be empty; seed: must be at least 0',
    );
  });
});

describe('the other callable schemas', () => {
  it('CancelVideoJobRequestSchema accepts a job id and nothing else', () => {
    expect(CancelVideoJobRequestSchema.parse({ jobId: 'abc_DEF-123' })).toEqual({ jobId: 'abc_DEF-123' });
    for (const jobId of ['', 'a/b', 'a b', 'x'.repeat(129), 7]) {
      const result = CancelVideoJobRequestSchema.safeParse({ jobId });
      expect(result.success).toBe(false);
      if (!result.success) expect(describeIssues(result.error)[0]).toMatch(/^jobId: must be/);
    }
    const extra = CancelVideoJobRequestSchema.safeParse({ jobId: 'a', force: true });
    expect(extra.success).toBe(false);
    if (!extra.success) expect(describeIssues(extra.error)).toEqual(['force: is not a known field']);
  });

  it('CreateVideoJobResponseSchema needs a string jobId', () => {
    expect(CreateVideoJobResponseSchema.parse({ jobId: 'j1' })).toEqual({ jobId: 'j1' });
    expect(CreateVideoJobResponseSchema.safeParse({ jobId: 1 }).success).toBe(false);
  });
});
