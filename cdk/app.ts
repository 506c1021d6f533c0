import { addShellgateStack, checkedApp } from './shellgate-app.ts';

// One stack: the stage `-c stage=dev|prod` names, or the unstaged `Shellgate`.
const app = checkedApp();
addShellgateStack(app);
app.synth();
