/**
 * The one pipeline of the CLI and the Lambdas: the shell (handler or CLI) supplies the stores and a
 * `publish`; each function gathers the facts, runs the pure engine, publishes, then saves the state.
 */
export { type PiiMode, piiScanner, transcriptDetectors, withLocalFallback } from './engine';
export { processRecord, type RecordDeps } from './record';
export { type ChunkDeps, evidenceKinds, processChunk } from './transcript';
