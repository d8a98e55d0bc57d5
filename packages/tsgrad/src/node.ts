/** Node-only helpers: safetensors checkpoints on disk (atomic writes). */
export { saveFile, loadFile, loadIntoModule, saveFileSync, loadFileSync, loadIntoModuleSync } from '@tsgrad/io/node';
/** Whole training states (model, optimizer, scheduler, epoch) to resume a run. */
export { saveCheckpoint, loadCheckpoint } from '@tsgrad/io/node';
