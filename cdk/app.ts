import { createShellgateApp } from './shellgate-app.ts';

createShellgateApp().app.synth();
