export { LocalObjectStore, objectFile, type LocalObjectMeta } from './local-object-store';
export { startLocalStoreServer } from './server';
