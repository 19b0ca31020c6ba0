import { DiffusionWorkerHandler } from './diffusion-worker-handler.ts';
import { serveDiffusionApi, type WorkerEndpoint } from './diffusion-server.ts';
import { ortWebRuntime } from './ort-web-runtime.ts';

serveDiffusionApi(self as unknown as WorkerEndpoint, new DiffusionWorkerHandler({ createRuntime: ortWebRuntime }));
