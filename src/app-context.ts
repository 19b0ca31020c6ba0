import { createContext } from '@lit/context';
import { GalleryStore } from './gallery/gallery-store.ts';
import type { GenerateService } from './generation/generate-service.ts';
import { WorkerGenerateService } from './generation/worker-generate-service.ts';
import { AuthService } from './hub/auth.ts';
import { sharedModelStore, type ModelStore } from './models/model-store.ts';
import { PreferencesStore } from './settings/preferences.ts';
import { DiffusionClient } from './workers/diffusion-client.ts';

/**
 * The services elements may use, provided once by <app-root> and consumed with `@consume`.
 * Elements get state and commands here, never storage or the decrypted token.
 */
export interface AppServices {
  readonly auth: AuthService;
  readonly preferences: PreferencesStore;
  readonly models: ModelStore;
  readonly gallery: GalleryStore;
  readonly generate: GenerateService;
}

export const appServicesContext = createContext<AppServices>(Symbol('local-sd-app-services'));

/** The composition root: built once at boot; starts the sign-in check right away. */
export function createAppServices(): AppServices {
  const auth = new AuthService();
  void auth.start();
  const preferences = new PreferencesStore();
  const models = sharedModelStore();
  void models.init();
  return {
    auth,
    preferences,
    models,
    gallery: new GalleryStore(),
    generate: new WorkerGenerateService(new DiffusionClient(), preferences, models),
  };
}
