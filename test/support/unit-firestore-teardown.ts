export default async function unitFirestoreTeardown(): Promise<void> {
  await globalThis.vidgenUnitFirestore?.stop(2000);
}
