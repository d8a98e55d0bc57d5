/** Node-only helpers: safetensors checkpoints on disk (atomic writes). */
export { saveFile, loadFile, loadIntoModule, saveFileSync, loadFileSync, loadIntoModuleSync } from '@tsgrad/io/node';
