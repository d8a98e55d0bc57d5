export {
  serialize,
  deserialize,
  readHeader,
  SafetensorsError,
  SAFETENSORS_DTYPES,
  MAX_HEADER_BYTES,
  type Metadata,
  type DeserializeOptions,
  type Deserialized,
} from './safetensors.js';
