/** The `@huggingface/hub` calls the app makes; imported only through `loadHubClient()` (hub-client.ts). */
export { listFiles, modelInfo, whoAmI } from '@huggingface/hub';
