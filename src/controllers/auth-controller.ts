import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AuthService, AuthState } from '../hub/auth.ts';

/**
 * Re-renders its host whenever the sign-in state changes. The service is read through a getter
 * because it usually arrives as a property after the controller is created.
 */
export class AuthController implements ReactiveController {
  private readonly _host: ReactiveControllerHost;
  private readonly _service: () => AuthService | undefined;
  private _subscribed: AuthService | undefined;
  private readonly _onChange = () => this._host.requestUpdate();

  constructor(host: ReactiveControllerHost, service: () => AuthService | undefined) {
    this._host = host;
    this._service = service;
    host.addController(this);
  }

  get state(): AuthState | undefined {
    return this._service()?.state;
  }

  hostConnected(): void {
    this._subscribe();
  }

  hostUpdate(): void {
    // Follows a service that was (re)assigned since the last render.
    this._subscribe();
  }

  hostDisconnected(): void {
    this._subscribed?.removeEventListener('change', this._onChange);
    this._subscribed = undefined;
  }

  private _subscribe(): void {
    const service = this._service();
    if (service === this._subscribed) return;
    this._subscribed?.removeEventListener('change', this._onChange);
    service?.addEventListener('change', this._onChange);
    this._subscribed = service;
  }
}
