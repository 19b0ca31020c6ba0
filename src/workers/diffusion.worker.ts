// First: ONNX Runtime starts its thread workers from script URLs, which Trusted Types checks.
import '../security/trusted-types.ts';
import { DiffusionWorkerHandler } from './diffusion-worker-handler.ts';
import { serveDiffusionApi, type WorkerEndpoint } from './diffusion-server.ts';
import { ortWebRuntime } from './ort-web-runtime.ts';

serveDiffusionApi(self as unknown as WorkerEndpoint, new DiffusionWorkerHandler({ createRuntime: ortWebRuntime }));
