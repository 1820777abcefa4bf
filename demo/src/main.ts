import { cancelVideoJob, createVideoJob, isFinished, uploadReferenceImage, watchVideoJob } from '@vidgen/client';
import { byId, describeError, say } from './dom';
import { connectServices, signIn, type Services } from './firebase';
import { readForm } from './form';
import { JobView } from './job-view';
import { loadStackConfig, type StackConfig } from './stack-config';

const authStatus = byId('auth-status', HTMLParagraphElement);
const pageError = byId('page-error', HTMLDivElement);
const form = byId('job-form', HTMLFormElement);
const formError = byId('form-error', HTMLParagraphElement);
const generate = byId('generate', HTMLButtonElement);
const cancel = byId('cancel', HTMLButtonElement);

function setAuthStatus(state: 'connecting' | 'signed-in' | 'error', text: string): void {
  authStatus.dataset.state = state;
  authStatus.textContent = text;
}

function showSimulationBanner(simulated: StackConfig['simulated']): void {
  const banner = byId('sim-banner', HTMLDivElement);
  const parts: string[] = [];
  if (simulated.gpu) parts.push('ComfyUI simulator, synthetic video — not a real model.');
  const providers = [simulated.veo && 'Veo', simulated.replicate && 'Replicate'].filter(Boolean);
  if (providers.length) parts.push(`${providers.join(' and ')} ${providers.length > 1 ? 'are simulators' : 'is a simulator'} too.`);
  if (!parts.length) return;
  const label = document.createElement('strong');
  label.textContent = simulated.gpu ? 'Simulated GPU: ' : 'Simulated providers: ';
  banner.replaceChildren(label, parts.join(' '));
  banner.hidden = false;
}

/** One job at a time: Generate is off while one runs, Cancel is on. */
function setBusy(busy: boolean, label = 'Generate'): void {
  generate.disabled = busy;
  generate.textContent = label;
}

function wireForm(services: Services, uid: string, view: JobView): void {
  let jobId: string | null = null;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (generate.disabled) return;
    const read = readForm();
    if ('error' in read) {
      say(formError, read.error);
      return;
    }
    say(formError, null);
    void (async () => {
      const { input, image } = read;
      if (image) {
        setBusy(true, 'Uploading image…');
        try {
          input.referenceImagePath = await uploadReferenceImage(services.storage, uid, image.name, image, image.type);
        } catch (error) {
          say(formError, `Could not upload the reference image: ${describeError(error)}. If the local object store does not take uploads yet, clear the image field to generate without one.`);
          setBusy(false);
          return;
        }
      }
      setBusy(true, 'Starting…');
      try {
        jobId = await createVideoJob(services.functions, input);
      } catch (error) {
        say(formError, describeError(error));
        setBusy(false);
        return;
      }
      const watched = jobId;
      view.start(watched);
      setBusy(true, 'Generating…');
      cancel.disabled = false;
      cancel.hidden = false;
      const stop = watchVideoJob(services.db, watched, {
        onChange(job) {
          if (watched !== jobId) return;
          view.render(job);
          if (!isFinished(job)) return;
          stop();
          cancel.hidden = true;
          setBusy(false);
        },
        onError(error) {
          view.showError('listener', describeError(error));
          cancel.hidden = true;
          setBusy(false);
        },
      });
    })();
  });

  cancel.addEventListener('click', () => {
    if (!jobId) return;
    cancel.disabled = true;
    cancelVideoJob(services.functions, jobId).catch((error: unknown) => {
      say(formError, `Could not cancel: ${describeError(error)}`);
      cancel.disabled = false;
    });
  });
}

async function main(): Promise<void> {
  const config = await loadStackConfig();
  showSimulationBanner(config.simulated);
  const services = connectServices(config);
  const uid = await signIn(services.auth);
  setAuthStatus('signed-in', `Signed in anonymously · ${uid}`);
  wireForm(services, uid, new JobView());
  setBusy(false);
}

main().catch((error: unknown) => {
  setAuthStatus('error', 'Not connected');
  say(pageError, describeError(error));
});
