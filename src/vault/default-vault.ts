import { HUB } from '../config/hub.ts';
import { TokenVault } from './token-vault.ts';

let memoisedVault: TokenVault | undefined;

/** The app's one vault, bound to the build-time hub origin (memoised: it holds no secrets itself). */
export function defaultTokenVault(): TokenVault {
  memoisedVault ??= new TokenVault({ hubUrl: HUB.endpoint });
  return memoisedVault;
}
