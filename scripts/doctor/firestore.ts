import type { ApiResponse, GoogleApi } from './google-api';

/** A Firestore document as the REST API (v1) sends it. */
export interface RestDocument {
  name: string;
  fields?: Record<string, RestValue>;
  createTime?: string;
  updateTime?: string;
}

/** A Firestore Value in the REST API's JSON: exactly one of these fields is set. */
export interface RestValue {
  nullValue?: null;
  booleanValue?: boolean;
  integerValue?: string;
  doubleValue?: number | string;
  timestampValue?: string;
  stringValue?: string;
  bytesValue?: string;
  referenceValue?: string;
  geoPointValue?: { latitude?: number; longitude?: number };
  arrayValue?: { values?: RestValue[] };
  mapValue?: { fields?: Record<string, RestValue> };
}

/**
 * A Value as the Admin SDK would hand it to our code, with Timestamps already turned into Dates (as
 * the contract's reviveDates does): integers and doubles as numbers, maps as objects.
 */
export function fromRestValue(value: RestValue): unknown {
  if ('nullValue' in value) return null;
  if (value.booleanValue !== undefined) return value.booleanValue;
  if (value.integerValue !== undefined) return Number(value.integerValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.timestampValue !== undefined) return new Date(value.timestampValue);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue, 'base64');
  if (value.referenceValue !== undefined) return value.referenceValue;
  if (value.geoPointValue !== undefined) return { latitude: value.geoPointValue.latitude ?? 0, longitude: value.geoPointValue.longitude ?? 0 };
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(fromRestValue);
  if (value.mapValue !== undefined) return fromRestFields(value.mapValue.fields);
  return undefined;
}

export function fromRestFields(fields: Record<string, RestValue> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields ?? {}).map(([key, value]) => [key, fromRestValue(value)]));
}

const documentsPath = (project: string): string => `v1/projects/${project}/databases/(default)/documents`;

/** One document by path ("config/limits"), or null when it does not exist. */
export function getDocument(api: GoogleApi, project: string, path: string): Promise<RestDocument | null> {
  return api.getOrNull<RestDocument>('firestore', `${documentsPath(project)}/${path}`);
}

/** Every document of a collection ("workers"), with Firestore's clock at the time of the read. */
export function listDocuments(api: GoogleApi, project: string, collection: string): Promise<ApiResponse<RestDocument[]>> {
  return api.list<RestDocument>('firestore', `${documentsPath(project)}/${collection}`, 'documents', { pageSize: 300 });
}

/** "projects/P/databases/(default)/documents/workers/w1" -> "w1". */
export function documentId(document: RestDocument): string {
  return document.name.split('/').pop() ?? document.name;
}
