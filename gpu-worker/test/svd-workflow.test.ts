import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveTierParams } from '@vidgen/contract';
import { ComfyClient, type Graph } from '../src/comfy/client';
import { followPrompt, type PromptEvent } from '../src/comfy/follow-prompt';
import { GraphChecker } from '../src/comfy/graph-check';
import type { OutputFile } from '../src/comfy/messages';
import { ComfySocket } from '../src/comfy/socket';
import { buildSvdGraph, danglingLinks, isLink, loadWorkflow, svdValues, withoutNode, type SvdMode, type WorkflowValues } from '../src/comfy/workflows';
import { rejectsWithCode, silentLog, startComfyFixture, type ComfyFixture } from './support/comfy';
import { ffmpeg, ffprobe } from '../../packages/media/test/support/media';

const workflow = loadWorkflow('svd');

/** Small and fast: 64x48, 5 frames, 2 video steps (the still keeps the template's 25). */
let seed = 5000;
function values(extra: WorkflowValues = {}): WorkflowValues {
  seed += 1;
  return {
    prompt: 'a red kite over the dunes',
    negativePrompt: 'blurry',
    width: 64,
    height: 48,
    stillWidth: 64,
    stillHeight: 48,
    frameCount: 5,
    motionBucketId: 100,
    seed,
    stillSeed: seed + 1,
    steps: 2,
    cfg: 2.5,
    fps: 8,
    filenamePrefix: `vidgen/svd-${seed}`,
    ...extra,
  };
}

/** The one node of a class; fails the test when there are none or several. */
function only(graph: Graph, classType: string): [string, Graph[string]] {
  const found = Object.entries(graph).filter(([, node]) => node.class_type === classType);
  expect(found.map(([id]) => `${classType}#${id}`)).toHaveLength(1);
  return found[0]!;
}

/** The node an input links to. */
function linked(graph: Graph, node: Graph[string], input: string): [string, Graph[string]] {
  const value = node.inputs[input];
  if (!isLink(value)) throw new Error(`${node.class_type}.${input} is not a link`);
  const target = graph[value[0]];
  if (!target) throw new Error(`${node.class_type}.${input} links to missing node ${value[0]}`);
  return [value[0], target];
}

function classes(graph: Graph): string[] {
  return Object.values(graph).map((node) => node.class_type).sort();
}

const VIDEO_CLASSES = ['ImageOnlyCheckpointLoader', 'KSampler', 'SVD_img2vid_Conditioning', 'VAEDecode', 'VHS_VideoCombine', 'VideoLinearCFGGuidance'];

describe('the SVD template', () => {
  it('holds both starts, with titles, and maps every parameter', () => {
    expect(classes(workflow.template)).toEqual(
      [...VIDEO_CLASSES, 'LoadImage', 'CheckpointLoaderSimple', 'CLIPTextEncode', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'VAELoader'].sort(),
    );
    for (const node of Object.values(workflow.template)) expect(node._meta?.title).toEqual(expect.any(String));
    expect(Object.keys(workflow.params).sort()).toEqual(
      ['prompt', 'negativePrompt', 'width', 'height', 'stillWidth', 'stillHeight', 'frameCount', 'motionBucketId', 'seed', 'stillSeed', 'steps', 'cfg', 'fps', 'conditioningFps', 'referenceImage', 'filenamePrefix'].sort(),
    );
    expect(danglingLinks(workflow.template)).toEqual([]);

    const [, loader] = only(workflow.template, 'ImageOnlyCheckpointLoader');
    expect(loader.inputs.ckpt_name).toBe('svd_xt_1_1.safetensors');
    const [, conditioning] = only(workflow.template, 'SVD_img2vid_Conditioning');
    expect(conditioning.inputs).toMatchObject({ width: 1024, height: 576, video_frames: 25, motion_bucket_id: 127, fps: 8, augmentation_level: 0 });
    expect(linked(workflow.template, conditioning, 'init_image')[1].class_type).toBe('LoadImage');
    const [, combine] = only(workflow.template, 'VHS_VideoCombine');
    expect(combine.inputs).toMatchObject({ frame_rate: 8, format: 'video/h264-mp4', pix_fmt: 'yuv420p', crf: 19 });
    const [, still] = only(workflow.template, 'CheckpointLoaderSimple');
    expect(still.inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors');
  });

  it('svdValues feeds the resolved tier parameters through', () => {
    const params = resolveTierParams('svd', {});
    const v = svdValues(params, { prompt: 'p', seed: 7 }, 'prefix', 'ref.png');
    expect(v).toMatchObject({ width: 1024, height: 576, stillWidth: 1024, stillHeight: 576, frameCount: params.frameCount, seed: 7, steps: 20, cfg: 2.5, fps: 8, referenceImage: 'ref.png', filenamePrefix: 'prefix' });
    expect(v.negativePrompt).toEqual(expect.stringContaining('blurry'));
    expect(svdValues(params, { prompt: 'p', seed: 7 }, 'prefix', null)).not.toHaveProperty('referenceImage');
    // Every value has a place in the template.
    expect(() => buildSvdGraph(workflow, v, 'image')).not.toThrow();
    expect(() => buildSvdGraph(workflow, svdValues(params, { prompt: 'p', seed: 7 }, 'prefix', null), 'text')).not.toThrow();
  });

  it('image mode: the still branch is gone and LoadImage feeds the conditioning', () => {
    const graph = buildSvdGraph(workflow, values({ referenceImage: 'up (1).png' }), 'image');
    expect(classes(graph)).toEqual([...VIDEO_CLASSES, 'LoadImage'].sort());
    expect(danglingLinks(graph)).toEqual([]);
    const [, conditioning] = only(graph, 'SVD_img2vid_Conditioning');
    const [, image] = linked(graph, conditioning, 'init_image');
    expect(image).toMatchObject({ class_type: 'LoadImage', inputs: { image: 'up (1).png' } });
    expect(conditioning.inputs).toMatchObject({ width: 64, height: 48, video_frames: 5, motion_bucket_id: 100, fps: 8 });
    const [, sampler] = only(graph, 'KSampler');
    expect(linked(graph, sampler, 'latent_image')[1]).toBe(conditioning);
    expect(linked(graph, sampler, 'model')[1].class_type).toBe('VideoLinearCFGGuidance');
    expect(sampler.inputs).toMatchObject({ steps: 2, cfg: 2.5, sampler_name: 'euler', scheduler: 'karras', denoise: 1 });
  });

  it('text mode: LoadImage is gone and the still decode feeds the conditioning', () => {
    const v = values();
    const graph = buildSvdGraph(workflow, v, 'text');
    expect(classes(graph)).toEqual([...VIDEO_CLASSES, 'CheckpointLoaderSimple', 'CLIPTextEncode', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'VAELoader'].sort());
    expect(danglingLinks(graph)).toEqual([]);
    const [, conditioning] = only(graph, 'SVD_img2vid_Conditioning');
    const [, decode] = linked(graph, conditioning, 'init_image');
    expect(decode.class_type).toBe('VAEDecode');
    const [, stillSampler] = linked(graph, decode, 'samples');
    expect(stillSampler.inputs).toMatchObject({ seed: v.stillSeed, steps: 25, cfg: 7, sampler_name: 'dpmpp_2m', scheduler: 'karras' });
    expect(linked(graph, stillSampler, 'model')[1].inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors');
    expect(linked(graph, stillSampler, 'latent_image')[1]).toMatchObject({ class_type: 'EmptyLatentImage', inputs: { width: 64, height: 48, batch_size: 1 } });
    expect(linked(graph, stillSampler, 'positive')[1].inputs.text).toBe(v.prompt);
    expect(linked(graph, stillSampler, 'negative')[1].inputs.text).toBe('blurry');
    expect(linked(graph, decode, 'vae')[1].inputs.vae_name).toBe('sdxl_vae.safetensors');
    // The video sampler has its own seed.
    const videoSampler = Object.values(graph).find((node) => node.class_type === 'KSampler' && node !== stillSampler)!;
    expect(videoSampler.inputs).toMatchObject({ seed: v.seed, steps: 2 });
    expect(linked(graph, videoSampler, 'latent_image')[1]).toBe(conditioning);
  });

  it.each([
    '"}, "x": {',
    'say "hello" \\"escaped\\" and \'single\'',
    '{"class_type": "KSampler", "inputs": {}}',
    '["2", 0]',
    'line one\nline two\t ünïcødé 🎬 </script>',
  ])('puts a prompt verbatim into the still prompt: %j', (prompt) => {
    const graph = buildSvdGraph(workflow, values({ prompt, negativePrompt: prompt }), 'text');
    const texts = Object.values(graph).filter((node) => node.class_type === 'CLIPTextEncode');
    expect(texts.map((node) => node.inputs.text)).toEqual([prompt, prompt]);
    for (const node of texts) expect(Object.keys(node.inputs).sort()).toEqual(['clip', 'text']);
    expect(danglingLinks(graph)).toEqual([]);
    const sent = JSON.parse(JSON.stringify({ prompt: graph })) as { prompt: Graph };
    expect(sent.prompt).toEqual(graph);
  });

  it('leaves the template untouched', () => {
    const before = JSON.stringify(workflow.template);
    const image = buildSvdGraph(workflow, values({ referenceImage: 'x.png' }), 'image');
    const text = buildSvdGraph(workflow, values(), 'text');
    expect(JSON.stringify(workflow.template)).toBe(before);
    for (const graph of [image, text]) {
      for (const node of Object.values(graph)) {
        node.inputs.changed = true;
        for (const value of Object.values(node.inputs)) if (isLink(value)) value[0] = 'changed';
      }
    }
    expect(JSON.stringify(workflow.template)).toBe(before);
  });

  it('refuses image mode without a reference image, and unknown parameters', () => {
    expect(() => buildSvdGraph(workflow, values(), 'image')).toThrow(/referenceImage/);
    expect(() => buildSvdGraph(workflow, values({ sampler: 'x' }), 'text')).toThrow(/svd workflow has no parameter sampler/);
  });

  it('danglingLinks names each link to a missing node', () => {
    const graph = structuredClone(workflow.template);
    const [loadImage] = only(graph, 'LoadImage');
    const [conditioning] = only(graph, 'SVD_img2vid_Conditioning');
    delete graph[loadImage];
    expect(danglingLinks(graph)).toEqual([{ nodeId: conditioning, input: 'init_image', target: loadImage }]);
    // withoutNode, by contrast, takes the links with the node.
    expect(danglingLinks(withoutNode(workflow.template, loadImage))).toEqual([]);
  });
});

describe('the SVD graphs on the simulator', () => {
  let fixture: ComfyFixture;
  let client: ComfyClient;
  let socket: ComfySocket;
  let dir: string;
  let clientId: string;
  let uploaded: string;

  beforeAll(async () => {
    fixture = await startComfyFixture('svd-workflow');
    ({ client, socket, dir, clientId } = fixture);
    const png = join(dir, 'reference.png');
    await ffmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=red:s=64x48', '-frames:v', '1', png]);
    uploaded = await client.uploadImage('reference.png', new Blob([await readFile(png)]));
  });

  afterAll(() => fixture.close());

  async function run(graph: Graph): Promise<{ files: OutputFile[]; events: PromptEvent[]; promptId: string }> {
    const promptId = randomUUID();
    const events: PromptEvent[] = [];
    const following = followPrompt({
      client,
      socket,
      promptId,
      signal: new AbortController().signal,
      historyPollMs: 200,
      stallMs: 30_000,
      log: silentLog,
      onEvent: (event) => events.push(event),
    });
    following.catch(() => undefined);
    await client.submitPrompt(graph, { promptId, clientId });
    return { files: await following, events, promptId };
  }

  const progressOf = (events: PromptEvent[], nodeId: string) =>
    events.flatMap((e) => (e.kind === 'progress' && e.nodeId === nodeId ? [[e.value, e.max]] : []));

  it.each<SvdMode>(['image', 'text'])('%s mode passes the graph check and makes a 64x48, 5-frame clip', async (mode) => {
    const graph = buildSvdGraph(workflow, values(mode === 'image' ? { referenceImage: uploaded } : {}), mode);
    await expect(new GraphChecker(client).check(graph)).resolves.toBeUndefined();

    const { files, events } = await run(graph);
    expect(files).toHaveLength(1);
    const [file] = files as [OutputFile];
    expect(file).toMatchObject({ subfolder: 'vidgen', type: 'output', format: 'video/h264-mp4' });
    const target = join(dir, `${mode}.mp4`);
    await client.download(file, target);
    expect(await ffprobe(target)).toMatchObject({ codec: 'h264', width: 64, height: 48, frames: 5, pixelFormat: 'yuv420p' });

    const [videoSampler] = Object.entries(graph).find(([, node]) => node.class_type === 'KSampler' && linked(graph, node, 'latent_image')[1].class_type === 'SVD_img2vid_Conditioning')!;
    expect(progressOf(events, videoSampler)).toEqual([[1, 2], [2, 2]]);
    const executed = events.flatMap((e) => (e.kind === 'node' ? [graph[e.nodeId]!.class_type] : []));
    if (mode === 'image') {
      expect(executed).toContain('LoadImage');
      expect(executed).not.toContain('CheckpointLoaderSimple');
    } else {
      // Both samplers report their steps, the still's before the video's.
      const [stillSampler] = Object.entries(graph).find(([id, node]) => node.class_type === 'KSampler' && id !== videoSampler)!;
      expect(progressOf(events, stillSampler)).toEqual(Array.from({ length: 25 }, (_, i) => [i + 1, 25]));
      const firstStill = events.findIndex((e) => e.kind === 'progress' && e.nodeId === stillSampler);
      const firstVideo = events.findIndex((e) => e.kind === 'progress' && e.nodeId === videoSampler);
      expect(firstStill).toBeLessThan(firstVideo);
      expect(executed).not.toContain('LoadImage');
    }
  });

  it('the prompt reaches ComfyUI verbatim', async () => {
    const prompt = 'a "quoted" {braced} [bracketed] \\ prompt}';
    const graph = buildSvdGraph(workflow, values({ prompt }), 'text');
    const { promptId } = await run(graph);
    const entry = (await client.history(promptId)) as { prompt?: [number, string, Graph] } | null;
    const stored = entry?.prompt?.[2];
    expect(stored).toBeDefined();
    const [, stillSampler] = Object.entries(stored!).find(([, node]) => node.class_type === 'KSampler' && linked(stored!, node, 'latent_image')[1].class_type === 'EmptyLatentImage')!;
    expect(linked(stored!, stillSampler, 'positive')[1].inputs.text).toBe(prompt);
  });

  it('a reference image ComfyUI does not have is refused: reference_image_missing', async () => {
    const graph = buildSvdGraph(workflow, values({ referenceImage: 'never-uploaded.png' }), 'image');
    const checked = await rejectsWithCode(new GraphChecker(client).check(graph), 'reference_image_missing');
    expect(checked.message).toContain('LoadImage.image');
    const refused = await rejectsWithCode(client.submitPrompt(graph, { promptId: randomUUID(), clientId }), 'reference_image_missing');
    expect(refused.message).toContain('Invalid image file: never-uploaded.png');
  });
});
