/** Asks the shell (<app-root>) to show another tab, e.g. Settings from a model's "log in" alert. */
export class OpenTabEvent extends Event {
  static readonly type = 'open-tab';
  constructor(readonly tab: 'Generate' | 'Models' | 'Gallery' | 'Settings') {
    super(OpenTabEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'open-tab': OpenTabEvent;
  }
}
