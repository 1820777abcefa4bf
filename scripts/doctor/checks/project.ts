import type { Context } from '../context';
import { REQUIRED_APIS } from '../expected';
import { ApiCallError } from '../google-api';
import { couldNotCheck, fail, ok, type CheckResult } from '../report';

interface Project {
  projectNumber?: string;
  lifecycleState?: string;
}

/** The project exists, is active and can be read; sets context.projectNumber. The doctor stops after a FAIL here. */
export async function checkProject(context: Context): Promise<CheckResult> {
  const check = `project ${context.project}`;
  let project: Project;
  try {
    project = (await context.api.get<Project>('cloudresourcemanager', `v1/projects/${context.project}`)).body;
  } catch (error) {
    const disabled = error instanceof ApiCallError && (error.reason === 'SERVICE_DISABLED' || /has not been used|quota project/i.test(error.apiMessage));
    if (error instanceof ApiCallError && (error.httpStatus === 404 || error.httpStatus === 403) && !disabled) {
      // Resource Manager answers 403 for a project that does not exist as for one you may not see.
      return fail(check, `not found, or this account may not read it (${error.message})`, `gcloud projects describe ${context.project}  (check the id and your account: gcloud auth application-default login)`);
    }
    return couldNotCheck(check, error, context.project);
  }
  if (!project.projectNumber) return fail(check, 'Resource Manager returned no project number', `gcloud projects describe ${context.project}`);
  context.projectNumber = project.projectNumber;
  if (project.lifecycleState && project.lifecycleState !== 'ACTIVE') {
    return fail(check, `number ${project.projectNumber}, ${project.lifecycleState}`, `gcloud projects undelete ${context.project}`);
  }
  return ok(check, `number ${project.projectNumber}, ACTIVE`);
}

interface Service {
  name?: string;
  config?: { name?: string };
  state?: string;
}

/** Every API of REQUIRED_APIS is enabled (one Service Usage batchGet). */
export async function checkApis(context: Context): Promise<CheckResult[]> {
  const check = 'apis';
  const parent = `projects/${context.projectNumber}`;
  const names = REQUIRED_APIS.map(({ api }) => `${parent}/services/${api}`);
  const { body } = await context.api.get<{ services?: Service[] }>('serviceusage', `v1/${parent}/services:batchGet`, { names });
  const enabled = new Set(
    (body.services ?? []).filter((service) => service.state === 'ENABLED').map((service) => service.config?.name ?? service.name?.split('/').pop()),
  );
  const disabled = REQUIRED_APIS.map(({ api }) => api).filter((api) => !enabled.has(api));
  if (disabled.length === 0) return [ok(check, `all ${REQUIRED_APIS.length} enabled`)];
  return [fail(check, `not enabled: ${disabled.join(', ')}`, `gcloud services enable ${disabled.join(' ')} --project=${context.project}`)];
}
