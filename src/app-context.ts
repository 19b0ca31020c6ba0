import { createContext } from '@lit/context';
import { AuthService } from './hub/auth.ts';
import { PreferencesStore } from './settings/preferences.ts';

/**
 * The services elements may use, provided once by <app-root> and consumed with `@consume`.
 * Elements get state and commands here, never storage or the decrypted token.
 */
export interface AppServices {
  readonly auth: AuthService;
  readonly preferences: PreferencesStore;
}

export const appServicesContext = createContext<AppServices>(Symbol('local-sd-app-services'));

/** The composition root: built once at boot; starts the sign-in check right away. */
export function createAppServices(): AppServices {
  const auth = new AuthService();
  void auth.start();
  return { auth, preferences: new PreferencesStore() };
}
